//! The HTML pages as a browser without JavaScript uses them: a client that keeps cookies and
//! shows redirects, the CSRF token each page form carries, and [`post_form`], which loads
//! a page and sends one of its forms with that token.

use reqwest::{Client, Response, StatusCode, redirect};

use super::app::TestApp;

/// A client that keeps cookies and shows redirects, like a browser without JavaScript.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// The CSRF token of the first form on a page that has one.
pub fn csrf_in(html: &str) -> String {
    csrf_field(html).expect("a form with a CSRF token")
}

fn csrf_field(html: &str) -> Option<String> {
    const FIELD: &str = "name=\"csrf\" value=\"";
    let start = html.find(FIELD)? + FIELD.len();
    let end = html[start..].find('"').expect("the token's end") + start;
    Some(html[start..end].to_owned())
}

/// The CSRF token of the form on a page that posts to `action` (as its `action`, or as the
/// `formaction` of one of its buttons), if the page has such a form.
pub fn form_csrf(html: &str, action: &str) -> Option<String> {
    let wanted = format!("action=\"{action}\"");
    html.match_indices("<form").find_map(|(start, _)| {
        let form = &html[start..];
        let form = &form[..form.find("</form>").unwrap_or(form.len())];
        // Askama escapes attribute values; the paths in them only ever need these.
        let unescaped = form
            .replace("&#x2f;", "/")
            .replace("&#47;", "/")
            .replace("&amp;", "&")
            .replace("&#38;", "&");
        unescaped
            .contains(&wanted)
            .then(|| csrf_field(form))
            .flatten()
    })
}

/// Loads the page at `page` in the browser `b` and sends its form that posts to `action`,
/// as a browser would: with `fields` and the CSRF token that form carries. The page must
/// load (200) and have that form. Returns the answer to the post.
pub async fn post_form(
    b: &Client,
    base: &str,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> Response {
    let res = b.get(format!("{base}{page}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "GET {page} to post {action}");
    let html = res.text().await.unwrap();
    let csrf = form_csrf(&html, action)
        .unwrap_or_else(|| panic!("{page} has no form posting to {action} with a CSRF token"));
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    b.post(format!("{base}{action}"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Signs in through the sign-in page's form with the tests' password; returns the answer
/// (a redirect to the gallery when it worked).
pub async fn sign_in_in_browser(b: &Client, base: &str, email: &str) -> Response {
    post_form(
        b,
        base,
        "/login",
        "/login",
        &[("email", email), ("password", "correct horse battery")],
    )
    .await
}

/// Signs up through the form; the browser then holds the session cookie. Returns the
/// CSRF token of the signed-in pages.
pub async fn sign_up_in_browser(app: &TestApp, b: &Client, email: &str) -> String {
    let res = post_form(
        b,
        &app.base,
        "/signup",
        "/signup",
        &[("email", email), ("password", "correct horse battery")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = b.get(app.url("/gallery")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    csrf_in(&res.text().await.unwrap())
}

/// One person signed in twice on a fresh server: in a browser (the pages, with the CSRF
/// token of its session) and with a bearer token (the API).
pub struct SignedInTwice {
    pub app: TestApp,
    pub browser: Client,
    pub csrf: String,
    pub token: String,
}

impl SignedInTwice {
    /// Ada, signed up in the browser.
    pub async fn ada() -> Self {
        let app = super::app::spawn_app().await;
        let browser = browser();
        let csrf = sign_up_in_browser(&app, &browser, "ada@example.org").await;
        let token = app.token("ada@example.org").await;
        Self {
            app,
            browser,
            csrf,
            token,
        }
    }

    /// A voice command sent as the page sends it (`POST /voice`), which must answer 200.
    pub async fn say_in_page(&self, body: serde_json::Value) -> serde_json::Value {
        let res = self
            .browser
            .post(self.app.url("/voice"))
            .header("X-CSRF-Token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{body}");
        res.json().await.unwrap()
    }
}
