-- Each check result keeps its EWS or HTTP code and its remedy next to the message (detail).
ALTER TABLE check_results ADD COLUMN code TEXT;
ALTER TABLE check_results ADD COLUMN remedy TEXT NOT NULL DEFAULT '';
-- A running check run's job writes a heartbeat; a run whose heartbeat is old was interrupted.
ALTER TABLE check_runs ADD COLUMN heartbeat_at BIGINT;
