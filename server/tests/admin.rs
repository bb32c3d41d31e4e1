//! The admin dashboard and its API: who may use them, and what each action does to the
//! account it acts on (sessions, sign-in, rows and stored objects), the last admin kept,
//! retries, usage figures, the audit log and the sweep of objects without a photo.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// An admin (the first account) and a user, each with an API token.
async fn admin_and_user(app: &TestApp) -> (String, String, String) {
    let admin = app.user("admin@example.org").await;
    let user = app.user("user@example.org").await;
    let me: Value = fetch(app.get(&user, "/api/v1/me")).await;
    (admin, user, me["id"].as_str().unwrap().to_owned())
}

async fn users(app: &TestApp, token: &str, q: &str) -> Vec<Value> {
    fetch(app.get(token, &format!("/api/v1/admin/users?q={q}"))).await
}

#[tokio::test]
async fn only_admins_reach_any_admin_page_action_or_api() {
    let app = spawn_app().await;
    let (admin, user, user_id) = admin_and_user(&app).await;
    let calls = [
        ("GET", "/api/v1/admin/stats", None),
        ("GET", "/api/v1/admin/users", None),
        (
            "PATCH",
            "/api/v1/admin/users/ID",
            Some(json!({"disabled": true})),
        ),
        ("DELETE", "/api/v1/admin/users/ID", None),
        ("GET", "/api/v1/admin/jobs", None),
        (
            "POST",
            "/api/v1/admin/jobs/retry",
            Some(json!({"status": "error"})),
        ),
        ("GET", "/api/v1/admin/audit", None),
        ("GET", "/api/v1/admin/invitations", None),
        ("POST", "/api/v1/admin/invitations", Some(json!({}))),
    ];
    for (method, path, body) in &calls {
        let path = path.replace("ID", &user_id);
        let mut req = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .bearer_auth(&user);
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{method} {path} as a user"
        );
        let res = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path} signed out"
        );
    }
    // The user was not touched by any of it.
    let list = users(&app, &admin, "user@").await;
    assert_eq!(list[0]["disabled"], false);

    // Pages: a signed-in user gets 403 on each, a signed-out visitor goes to sign in.
    let b = browser();
    let csrf = sign_up_in_browser(&app, &b, "browser@example.org").await;
    for path in [
        "/admin".to_owned(),
        "/admin/panels".to_owned(),
        format!("/admin/users/{user_id}"),
        format!("/admin/users/{user_id}/delete"),
    ] {
        let res = b.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "GET {path} as a user");
        let res = browser().get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "GET {path} signed out");
        assert_eq!(res.headers()["location"], "/login");
    }
    for (path, form) in [
        (
            format!("/admin/users/{user_id}"),
            vec![("action", "disable")],
        ),
        (
            format!("/admin/users/{user_id}/delete"),
            vec![("confirmed", "yes")],
        ),
        ("/admin/jobs/retry".to_owned(), vec![]),
        ("/admin/invitations".to_owned(), vec![("note", "x")]),
        ("/admin/invitations/x/revoke".to_owned(), vec![]),
    ] {
        let mut fields = form.clone();
        fields.push(("csrf", &csrf));
        let res = b.post(app.url(&path)).form(&fields).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "POST {path} as a user");
    }
    assert_eq!(app.rows("users").await, 3, "nobody was deleted");
    assert_eq!(app.rows("audit_log").await, 0, "no admin action happened");
    // The user's own pages do not offer the dashboard; the admin's do.
    let gallery = text(b.get(app.url("/gallery"))).await;
    assert!(!gallery.contains("href=\"/admin\""));
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_at_once_and_cannot_sign_in() {
    let app = spawn_app().await;
    let (admin, user, user_id) = admin_and_user(&app).await;
    // The same person also has a browser session.
    let b = browser();
    let res = sign_in_in_browser(&b, &app.base, "user@example.org").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        b.get(app.url("/gallery")).send().await.unwrap().status(),
        StatusCode::OK
    );

    let res = app
        .patch(&admin, &format!("/api/v1/admin/users/{user_id}"))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["disabled"], true);

    let res = app.get(&user, "/api/v1/me").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the token ended");
    let res = b.get(app.url("/gallery")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the browser session ended"
    );
    let res = app.login("user@example.org", "correct horse battery").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(error_of(res).await.contains("disabled"));
    // A wrong password still says only that it is wrong: being disabled is not disclosed.
    let res = app.login("user@example.org", "wrong password here").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let res = app
        .patch(&admin, &format!("/api/v1/admin/users/{user_id}"))
        .json(&json!({"disabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.login("user@example.org", "correct horse battery").await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "enabled again, the user signs in"
    );

    let log: Vec<Value> = fetch(app.get(&admin, "/api/v1/admin/audit")).await;
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["enable", "disable"], "newest first");
    assert_eq!(log[1]["actor"], "admin@example.org");
    assert_eq!(log[1]["target"], "user@example.org");
}

#[tokio::test]
async fn the_gallery_never_loses_its_last_enabled_admin() {
    let app = spawn_app().await;
    let (admin, _user, user_id) = admin_and_user(&app).await;
    let me: Value = fetch(app.get(&admin, "/api/v1/me")).await;
    let admin_id = me["id"].as_str().unwrap();
    let path = format!("/api/v1/admin/users/{admin_id}");
    for body in [json!({"role": "user"}), json!({"disabled": true})] {
        let res = app.patch(&admin, &path).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CONFLICT, "{body}");
        assert!(error_of(res).await.contains("last enabled admin"));
    }
    let res = app.delete(&admin, &path).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // With a second admin, the first may step down; then the second is the last one.
    let res = app
        .patch(&admin, &format!("/api/v1/admin/users/{user_id}"))
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .patch(&admin, &path)
        .json(&json!({"role": "user"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get(&admin, "/api/v1/admin/stats").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no longer an admin");
    let second = app.login("user@example.org", "correct horse battery").await;
    let second = second.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .patch(&second, &format!("/api/v1/admin/users/{user_id}"))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // Bad values are refused with a reason, and change nothing.
    for body in [
        json!({"role": "owner"}),
        json!({"quota_bytes": -1}),
        json!({"disabled": "yes"}),
        json!({"colour": "red"}),
    ] {
        let res = app
            .patch(&second, &format!("/api/v1/admin/users/{user_id}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    let res = app
        .patch(&second, "/api/v1/admin/users/no-such-user")
        .json(&json!({"role": "user"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_a_user_removes_every_row_and_object_of_theirs_and_nothing_else() {
    let app = spawn_app().await;
    let (admin, user, user_id) = admin_and_user(&app).await;
    let trips = app.folder(&user, "Trips", None).await;
    let deep = app.folder(&user, "2024", Some(&trips)).await;
    app.photo(&user, "a.jpg", None).await;
    app.photo(&user, "b.jpg", Some(&trips)).await;
    app.photo(&user, "c.jpg", Some(&deep)).await;
    let kept = app.photo(&admin, "mine.jpg", None).await;
    // Four objects a photo: original, thumbnail, the viewer's and the classifier's renditions.
    assert_eq!(app.object_count(), 16);

    let listed = users(&app, &admin, "user@").await;
    assert_eq!(listed[0]["images"], 3);
    assert!(listed[0]["bytes"].as_i64().unwrap() > 0);

    let res = app
        .delete(&admin, &format!("/api/v1/admin/users/{user_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for sql in [
        "SELECT COUNT(*) FROM folders WHERE owner_id = $1",
        "SELECT COUNT(*) FROM images WHERE owner_id = $1",
        "SELECT COUNT(*) FROM sessions WHERE user_id = $1",
        "SELECT COUNT(*) FROM identities WHERE user_id = $1",
    ] {
        let (n,): (i64,) = sqlx::query_as(sql)
            .bind(&user_id)
            .fetch_one(&app.state.db)
            .await
            .unwrap();
        assert_eq!(n, 0, "{sql} of the deleted user");
    }
    assert_eq!(app.rows("users").await, 1);
    assert_eq!(app.rows("images").await, 1);
    assert_eq!(app.rows("jobs").await, 1);
    assert_eq!(
        app.object_count(),
        4,
        "only the admin's photo and its renditions remain"
    );
    assert!(
        !app.objects_dir()
            .join(format!("u/{user_id}"))
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some())
    );
    let res = app.get(&user, "/api/v1/me").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .get(&admin, &format!("/api/v1/images/{kept}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.assert_consistent().await;

    let stats: Value = fetch(app.get(&admin, "/api/v1/admin/stats")).await;
    assert_eq!(stats["users"], 1);
    assert_eq!(stats["images"], 1);
    let log: Vec<Value> = fetch(app.get(&admin, "/api/v1/admin/audit")).await;
    assert_eq!(log[0]["action"], "delete");
    assert_eq!(log[0]["target"], "user@example.org");
    assert!(log[0]["detail"].as_str().unwrap().starts_with("3 photos"));
    let res = app
        .delete(&admin, &format!("/api/v1/admin/users/{user_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "already gone");
}

#[tokio::test]
async fn usage_and_quota_follow_uploads_and_deletions() {
    let app = spawn_app().await;
    let (admin, user, user_id) = admin_and_user(&app).await;
    let folder = app.folder(&user, "F", None).await;
    let one = app.photo(&user, "1.jpg", None).await;
    app.photo(&user, "2.jpg", Some(&folder)).await;
    app.photo(&user, "3.jpg", Some(&folder)).await;
    let bytes = |v: &Value| v["bytes"].as_i64().unwrap();
    let listed = users(&app, &admin, "user@").await;
    assert_eq!(listed[0]["images"], 3);
    let (sum,): (i64,) =
        sqlx::query_as("SELECT CAST(SUM(bytes) AS BIGINT) FROM images WHERE owner_id = $1")
            .bind(&user_id)
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(bytes(&listed[0]), sum);

    let res = app
        .delete(&user, &format!("/api/v1/images/{one}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .delete(&user, &format!("/api/v1/folders/{folder}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let listed = users(&app, &admin, "user@").await;
    assert_eq!(listed[0]["images"], 0);
    assert_eq!(
        bytes(&listed[0]),
        sum,
        "photos in the Trash still take their space"
    );
    let res = app
        .post(&user, "/api/v1/trash/purge")
        .json(&json!({"all": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let listed = users(&app, &admin, "user@").await;
    assert_eq!(
        bytes(&listed[0]),
        0,
        "emptied, the Trash gives the space back"
    );

    // A quota of 1 byte: the next upload is refused with how much room is left.
    let res = app
        .patch(&admin, &format!("/api/v1/admin/users/{user_id}"))
        .json(&json!({"quota_bytes": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["quota_bytes"], 1);
    let res = app
        .upload(&user, vec![("big.jpg", jpeg(64, 48))], None)
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = app
        .patch(&admin, &format!("/api/v1/admin/users/{user_id}"))
        .json(&json!({"quota_bytes": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["quota_bytes"],
        Value::Null
    );
    app.photo(&user, "again.jpg", None).await;

    // Search and pages of the list.
    for n in 0..4 {
        app.user(&format!("page{n}@example.org")).await;
    }
    let res = app
        .get(&admin, "/api/v1/admin/users?limit=2")
        .send()
        .await
        .unwrap();
    let next = next_page(&res).expect("a next page");
    let first: Vec<Value> = res.json().await.unwrap();
    let second: Vec<Value> = fetch(app.get(&admin, &next)).await;
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 2);
    assert_ne!(first[0]["id"], second[0]["id"]);
    assert_eq!(users(&app, &admin, "PAGE").await.len(), 4);
    assert_eq!(
        users(&app, &admin, "%25").await.len(),
        0,
        "% is a character, not a wildcard"
    );
    let res = app
        .get(
            &admin,
            &format!("/api/v1/admin/users?q={}", "x".repeat(300)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_retried_job_runs_again() {
    let app = spawn_app_with(|c| {
        c.classifier = "local".into();
        c.classifier_workers = Some(1);
    })
    .await;
    let (admin, user, _) = admin_and_user(&app).await;
    let data = testdata("chelsea.jpg");
    let id = app.photo_bytes(&user, "chelsea.jpg", data.clone()).await;
    let image = settled(&app, &user, &id).await;
    assert_eq!(image["status"], "done");

    // Take the original away: classifying again fails on every attempt.
    let (key,): (String,) = sqlx::query_as("SELECT object_key FROM images WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let path = app.objects_dir().join(&key);
    std::fs::remove_file(&path).unwrap();
    let res = app
        .post(&user, &format!("/api/v1/images/{id}/reclassify"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let image = settled(&app, &user, &id).await;
    assert_eq!(image["status"], "error");
    let failed: Vec<Value> = fetch(app.get(&admin, "/api/v1/admin/jobs?status=error")).await;
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]["reason"].as_str().unwrap().contains(&key),
        "admins see the detail"
    );

    // Put it back and retry that job: it runs again and the photo gets its labels.
    std::fs::write(&path, &data).unwrap();
    let res = app
        .post(&admin, "/api/v1/admin/jobs/retry")
        .json(&json!({"ids": [failed[0]["id"]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(res.json::<Value>().await.unwrap()["queued"], 1);
    let image = settled(&app, &user, &id).await;
    assert_eq!(image["status"], "done");
    assert_eq!(image["labels"].as_array().unwrap().len(), 3);
    let res = app
        .post(&admin, "/api/v1/admin/jobs/retry")
        .json(&json!({"status": "error"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["queued"],
        0,
        "nothing left to retry"
    );
    for body in [
        json!({}),
        json!({"status": "done"}),
        json!({"status": "error", "ids": []}),
    ] {
        let res = app
            .post(&admin, "/api/v1/admin/jobs/retry")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
    }

    // The dashboard shows the local classifier's time per step.
    let b = browser();
    sign_in_in_browser(&b, &app.base, "admin@example.org").await;
    let page = text(b.get(app.url("/admin/panels"))).await;
    for step in [
        "<td>local</td><td>fetch</td>",
        "<td>local</td><td>prepare</td>",
        "<td>local</td><td>predict</td>",
    ] {
        assert!(page.contains(step), "{step} in the timings");
    }
}

#[tokio::test]
async fn the_dashboard_shows_the_gallery_and_its_actions_work_from_forms() {
    let app = spawn_app().await;
    let b = browser();
    sign_up_in_browser(&app, &b, "admin@example.org").await;
    let user = app.user("someone@example.org").await;
    app.photo(&user, "p.jpg", None).await;
    let me: Value = fetch(app.get(&user, "/api/v1/me")).await;
    let user_id = me["id"].as_str().unwrap();

    let page = text(b.get(app.url("/admin"))).await;
    for part in [
        "Figures",
        "Classification queue",
        "Charts",
        "Storage and system",
        "someone@example.org",
        "Audit log",
        "<svg class=\"chart\" id=\"chart-hour\"",
        "<svg class=\"chart\" id=\"chart-week\"",
        "<svg class=\"chart\" id=\"chart-queue\"",
        "(this one)",
        "hx-trigger=\"every 5s\"",
    ] {
        assert!(page.contains(part), "the dashboard shows {part}");
    }
    assert!(page.contains("<dd id=\"figure-photos\">1</dd>"));
    // The chart's table has a row per minute of the last hour, and the upload is in it.
    let panels = text(b.get(app.url("/admin/panels"))).await;
    assert_eq!(panels.matches("<th scope=\"row\">").count(), 60 + 168 + 60);
    assert!(panels.contains("uploads: 1 at"), "the upload is drawn");

    // Disable by the form; the page says so and the user's token ends.
    let account = format!("/admin/users/{user_id}");
    let res = post_form(&b, &app.base, &account, &account, &[("action", "disable")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Disabled"));
    assert_eq!(
        app.get(&user, "/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // A quota that is not a number is refused on the page, nothing changes.
    let res = post_form(
        &b,
        &app.base,
        &account,
        &account,
        &[("action", "quota"), ("quota_mb", "lots")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The admin cannot demote themselves as the last admin: told so on the page.
    let me: Value = fetch(app.get(&app.user("third@example.org").await, "/api/v1/me")).await;
    let admin_id =
        sqlx::query_as::<_, (String,)>("SELECT id FROM users WHERE email = 'admin@example.org'")
            .fetch_one(&app.state.db)
            .await
            .unwrap()
            .0;
    assert_ne!(me["id"], admin_id);
    let own = format!("/admin/users/{admin_id}");
    let res = post_form(&b, &app.base, &own, &own, &[("action", "demote")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("last enabled admin"));

    // Delete asks first; without the confirmation nothing goes.
    let delete = format!("/admin/users/{user_id}/delete");
    let confirm = text(b.get(app.url(&delete))).await;
    assert!(confirm.contains("someone@example.org") && confirm.contains("its 1 photo "));
    let res = post_form(&b, &app.base, &delete, &delete, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.rows("users").await, 3);
    let res = post_form(&b, &app.base, &delete, &delete, &[("confirmed", "yes")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.rows("users").await, 2);
    let page = text(b.get(app.url("/admin"))).await;
    assert!(page.contains("<td>delete</td><td>someone@example.org</td>"));
    assert!(page.contains("<td>disable</td><td>someone@example.org</td>"));
    // A form without the CSRF token is refused.
    let res = b
        .post(app.url(&own))
        .form(&[("action", "demote")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn invitations_are_made_and_revoked_on_the_dashboard() {
    let app = spawn_app_with(|c| c.signup = gallery::config::SignupMode::Invite).await;
    let (_, token) = gallery::auth::invitations::create(&app.state.db, None, None, 7)
        .await
        .unwrap();
    let b = browser();
    post_form(
        &b,
        &app.base,
        &format!("/signup?invite={token}"),
        "/signup",
        &[
            ("email", "admin@example.org"),
            ("password", "correct horse battery"),
            ("invite", token.as_str()),
        ],
    )
    .await;
    let page = text(b.get(app.url("/admin"))).await;
    assert!(page.contains("Invitations"));
    let page = post_form(
        &b,
        &app.base,
        "/admin",
        "/admin/invitations",
        &[("note", "for Grace"), ("days", "3")],
    )
    .await
    .text()
    .await
    .unwrap();
    let start = page.find("/signup?invite=").expect("the new link is shown");
    let link: String = page[start..].chars().take_while(|c| *c != '"').collect();
    assert!(page.contains("for Grace"));
    let (id,): (String,) = sqlx::query_as("SELECT id FROM invitations WHERE note = 'for Grace'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let revoke = format!("/admin/invitations/{id}/revoke");
    let res = post_form(&b, &app.base, "/admin", &revoke, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The revoked link no longer signs anyone up.
    let invite = link.trim_start_matches("/signup?invite=");
    let res = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({"email": "grace@example.org", "password": "correct horse battery", "invite": invite}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    assert_eq!(app.rows("users").await, 1);
    let page = text(b.get(app.url("/admin"))).await;
    assert!(page.contains("<td>invite</td>") && page.contains("<td>revoke</td>"));
}

#[tokio::test]
async fn the_sweep_removes_only_old_objects_without_a_photo() {
    let app = spawn_app().await;
    let (_, user, user_id) = admin_and_user(&app).await;
    app.photo(&user, "kept.jpg", None).await;
    let orphan = app
        .objects_dir()
        .join(format!("u/{user_id}/0123456789abcdef0123456789abcdef"));
    std::fs::write(&orphan, b"left by a failed delete").unwrap();
    let storage = app.state.storage.clone();
    let db = app.state.db.clone();
    use gallery::admin::housekeeping::sweep;

    // Too young: an upload may still be writing it.
    let young = sweep(&db, &storage, 60, true).await.unwrap();
    assert_eq!(young.checked, 5);
    assert!(young.orphans.is_empty());
    let found = sweep(&db, &storage, 0, true).await.unwrap();
    assert_eq!(found.orphans.len(), 1);
    assert!(
        found.orphans[0]
            .key
            .ends_with("0123456789abcdef0123456789abcdef")
    );
    assert!(orphan.exists(), "a dry run removes nothing");
    let done = sweep(&db, &storage, 0, false).await.unwrap();
    assert_eq!(done.removed, 1);
    assert!(!orphan.exists());
    app.assert_consistent().await;

    // The command line shows the same.
    std::fs::write(&orphan, b"again").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gallery"))
        .args(["admin", "sweep", "--dry-run"])
        .env(
            "GALLERY_DATABASE_URL",
            app.state.config.database_url.clone(),
        )
        .env("GALLERY_STORAGE", app.state.config.storage.clone())
        .env("GALLERY_SWEEP_AFTER_MINUTES", "0")
        .env("GALLERY_LOG", "warn")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("would remove u/"), "{printed}");
    assert!(
        printed.contains("1 without a photo would be removed"),
        "{printed}"
    );
    assert!(orphan.exists());
}

#[tokio::test]
async fn admin_commands_act_from_a_shell() {
    let app = spawn_app().await;
    let (_, user, _) = admin_and_user(&app).await;
    app.photo(&user, "p.jpg", None).await;
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gallery"))
            .args(args)
            .env(
                "GALLERY_DATABASE_URL",
                app.state.config.database_url.clone(),
            )
            .env("GALLERY_STORAGE", app.state.config.storage.clone())
            .env("GALLERY_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = run(&["admin", "users"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("admin@example.org") && listed.contains("user@example.org"),
        "{listed}"
    );
    assert!(
        run(&["admin", "disable", "user@example.org"])
            .status
            .success()
    );
    assert_eq!(
        app.get(&user, "/api/v1/me").send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(
        run(&["admin", "enable", "user@example.org"])
            .status
            .success()
    );
    assert!(
        run(&["admin", "promote", "user@example.org"])
            .status
            .success()
    );
    assert!(
        run(&["admin", "demote", "admin@example.org"])
            .status
            .success()
    );
    let out = run(&["admin", "demote", "user@example.org"]);
    assert!(!out.status.success(), "the last admin stays");
    assert!(String::from_utf8_lossy(&out.stderr).contains("last enabled admin"));
    assert!(run(&["admin", "retry"]).status.success());
    let out = run(&["admin", "delete", "user@example.org"]);
    assert!(!out.status.success(), "deleting needs --yes");
    let out = run(&["admin", "delete", "admin@example.org", "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.rows("users").await, 1);
    let (actor,): (String,) =
        sqlx::query_as("SELECT actor_email FROM audit_log WHERE action = 'delete'")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(actor, "the command line");
}
