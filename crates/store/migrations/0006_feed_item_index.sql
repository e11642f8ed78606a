-- The change feed is looked up by item (which rows of a page's items it holds already, of
-- every kind, read-flag rows included); the partial unique index leaves read-flag rows out.
CREATE INDEX change_feed_item ON change_feed (org_id, item_id);
