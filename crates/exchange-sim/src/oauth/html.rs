//! The sign-in form and error page, with every echoed value escaped.

use std::fmt::Write;

/// `text` with the characters that are special in HTML text and attributes escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// A complete document with `title` and an already escaped `body`.
fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>body{{font-family:sans-serif;max-width:24em;margin:3em auto}}\
         label,input{{display:block;margin:.4em 0}}.error{{color:#b00}}</style>\n</head>\n\
         <body>\n{body}</body>\n</html>\n",
        title = escape(title),
    )
}

/// The sign-in form for `client_id`; `hidden` carries the authorization
/// request back on submission, and `error` explains a failed attempt.
pub(crate) fn sign_in_page(
    client_id: &str,
    hidden: &[(&str, &str)],
    username: &str,
    error: Option<&str>,
) -> String {
    let mut body = format!(
        "<h1>Sign in</h1>\n<p>to continue to <strong>{}</strong></p>\n",
        escape(client_id)
    );
    if let Some(error) = error {
        let _ = writeln!(
            body,
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        );
    }
    body.push_str("<form method=\"post\">\n");
    for (name, value) in hidden {
        let _ = writeln!(
            body,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        );
    }
    let _ = write!(
        body,
        "<label for=\"username\">User name</label>\n\
         <input id=\"username\" name=\"username\" autocomplete=\"username\" required value=\"{}\">\n\
         <label for=\"password\">Password</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\n\
         <button type=\"submit\">Sign in</button>\n</form>\n",
        escape(username)
    );
    document("Sign in", &body)
}

/// A page explaining why the authorization request was refused.
pub(crate) fn error_page(message: &str) -> String {
    let body = format!(
        "<h1>Sign-in request refused</h1>\n<p class=\"error\">{}</p>\n",
        escape(message)
    );
    document("Sign-in request refused", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn sign_in_page_escapes_every_echoed_value() {
        let hostile = "\"><script>alert(1)</script>";
        let page = sign_in_page(hostile, &[("state", hostile)], hostile, Some(hostile));
        assert!(!page.contains("<script>"));
        assert!(!page.contains("\"><"));
        assert_eq!(page.matches("&quot;&gt;&lt;script&gt;").count(), 4);
    }
}
