//! Models of one's own (issue 19): an admin registers a classifier, the server checks it
//! first (it loads, names its input and output, classifies a photo in time, gives one value
//! per label) and refuses anything else with the reason; a folder chooses one, sub-folders
//! inherit it, and photos there are labelled by it; the viewer compares every model on
//! one photo.
mod common;

use common::{TestApp, error_of, fetch, settled, spawn_app_with, testdata, text};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

async fn classifying_app(tweak: impl FnOnce(&mut gallery::config::Config)) -> TestApp {
    spawn_app_with(|c| {
        c.classifier = "local".into();
        c.classifier_workers = Some(2);
        tweak(c);
    })
    .await
}

fn shipped(file: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../classifier-lambda/models/efficientnet-lite0/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The shipped model's description, renamed.
fn description(name: &str) -> Value {
    let mut d: Value = serde_json::from_slice(&shipped("model.json")).unwrap();
    d["name"] = json!(name);
    d.as_object_mut().unwrap().remove("sha256");
    d
}

/// The shipped model's ImageNet labels, as an admin sends them (with WordNet ids).
fn imagenet_labels() -> Vec<Value> {
    let labels: Vec<Value> = serde_json::from_slice(&shipped("labels.json")).unwrap();
    labels
        .into_iter()
        .map(|l| json!({"name": l["name"], "wordnet_id": l["wnid"]}))
        .collect()
}

/// Labels of the model's own, without WordNet ids: "class 0", "class 1"…
fn numbered_labels(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"name": format!("class {i}")}))
        .collect()
}

async fn register(
    app: &TestApp,
    token: &str,
    onnx: Vec<u8>,
    description: &Value,
    labels: &[Value],
) -> reqwest::Response {
    let form = Form::new()
        .part("file", Part::bytes(onnx).file_name("model.onnx"))
        .text("description", description.to_string())
        .text("labels", serde_json::to_string(labels).unwrap());
    app.post(token, "/api/v1/admin/models")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// A folder chooses its classifier (`null` to inherit) through the API.
async fn choose(app: &TestApp, token: &str, folder: &str, model: Value) -> reqwest::Response {
    app.patch(token, &format!("/api/v1/folders/{folder}"))
        .json(&json!({ "model_id": model }))
        .send()
        .await
        .unwrap()
}

/// The first account is the admin.
async fn admin_and_user(app: &TestApp) -> (String, String) {
    let admin = app.user("admin@example.org").await;
    let user = app.user("ada@example.org").await;
    (admin, user)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registered_model_labels_the_photos_of_the_folders_that_choose_it() {
    let app = classifying_app(|_| {}).await;
    let (admin, user) = admin_and_user(&app).await;

    // Only the gallery's own model at first.
    let models: Vec<Value> = fetch(app.get(&user, "/api/v1/models")).await;
    assert_eq!(models.len(), 1);
    assert_eq!(models[0]["default"], true);
    assert_eq!(models[0]["id"], "default");
    assert_eq!(models[0]["classes"], 1000);
    assert_eq!(models[0]["input_size"], 224);
    let default_name = models[0]["name"].as_str().unwrap().to_owned();

    // The same network with labels of its own: its answers are told apart by their names.
    let res = register(
        &app,
        &admin,
        shipped("model.onnx"),
        &description("numbered"),
        &numbered_labels(1000),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let model: Value = res.json().await.unwrap();
    assert_eq!(model["name"], "numbered");
    assert_eq!(model["classes"], 1000);
    assert_eq!(model["default"], false);
    assert!(model["check_ms"].as_f64().unwrap() > 0.0);
    let id = model["id"].as_str().unwrap().to_owned();
    let models: Vec<Value> = fetch(app.get(&user, "/api/v1/models")).await;
    assert_eq!(models.len(), 2);
    assert_eq!(models[1]["id"], id.as_str());
    // Stored as photos are: in the gallery's storage.
    assert!(
        app.objects_dir()
            .join(format!("models/{id}/onnx"))
            .is_file()
    );

    // A folder chooses it; its sub-folder inherits; a sub-folder may go back to the default.
    let trips = app.folder(&user, "Trips", None).await;
    let rome = app.folder(&user, "Rome", Some(&trips)).await;
    let home = app.folder(&user, "Home", Some(&trips)).await;
    let res = choose(&app, &user, &trips, json!(id)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["model_id"], id.as_str());
    let res = choose(&app, &user, &home, json!("default")).await;
    assert_eq!(res.status(), StatusCode::OK);

    let in_rome = app
        .photo_bytes_in(&user, "coffee.png", testdata("coffee.png"), &rome)
        .await;
    let at_home = app
        .photo_bytes_in(&user, "coffee.png", testdata("coffee.png"), &home)
        .await;
    let at_root = app
        .photo_bytes(&user, "coffee.png", testdata("coffee.png"))
        .await;
    let in_rome = settled(&app, &user, &in_rome).await;
    assert_eq!(in_rome["status"], "done", "{in_rome}");
    assert_eq!(in_rome["model"], "numbered");
    assert_eq!(in_rome["labels"][0]["label"], "class 967");
    for photo in [at_home, at_root] {
        let photo = settled(&app, &user, &photo).await;
        assert_eq!(photo["model"], default_name.as_str());
        assert_eq!(photo["labels"][0]["label"], "espresso");
    }

    app.assert_consistent().await;

    // Back to inheriting: Home follows Trips again once classified again.
    let res = choose(&app, &user, &home, json!(null)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let queued: Value =
        fetch(app.post(&user, &format!("/api/v1/folders/{trips}/reclassify"))).await;
    assert_eq!(queued["queued"], 2, "both photos under Trips");
    let photos: Vec<Value> = fetch(app.get(&user, &format!("/api/v1/images?folder={home}"))).await;
    let again = settled(&app, &user, photos[0]["id"].as_str().unwrap()).await;
    assert_eq!(again["model"], "numbered");
    assert_eq!(again["labels"][0]["label"], "class 967");

    // Comparison: every model on one photo, side by side, with their times.
    let compared: Vec<Value> = fetch(app.get(
        &user,
        &format!("/api/v1/images/{}/compare", in_rome["id"].as_str().unwrap()),
    ))
    .await;
    assert_eq!(compared.len(), 2);
    assert_eq!(compared[0]["model"], default_name.as_str());
    assert_eq!(compared[0]["labels"][0]["label"], "espresso");
    assert_eq!(compared[1]["model"], "numbered");
    assert_eq!(compared[1]["labels"][0]["label"], "class 967");
    for answer in &compared {
        assert!(answer["predict_ms"].as_f64().unwrap() > 0.0);
        assert!(answer.get("error").is_none());
    }

    // Nothing of it reaches another user.
    let stranger = app.user("eve@example.org").await;
    let res = app
        .get(
            &stranger,
            &format!("/api/v1/images/{}/compare", in_rome["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = choose(&app, &stranger, &trips, json!("default")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .post(&stranger, &format!("/api/v1/folders/{trips}/reclassify"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_refuses_what_it_cannot_use_and_says_why() {
    let app = classifying_app(|_| {}).await;
    let (admin, user) = admin_and_user(&app).await;
    let onnx = shipped("model.onnx");

    // Not an admin. (A small body: the server answers 403 before it reads one, and a client
    // still writing 18 MB then meets a closed connection instead of the answer.)
    let res = register(
        &app,
        &user,
        b"not read".to_vec(),
        &description("mine"),
        &imagenet_labels(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Not ONNX.
    let res = register(
        &app,
        &admin,
        testdata("chelsea.jpg"),
        &description("photo"),
        &imagenet_labels(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let reason = error_of(res).await;
    assert!(reason.contains("not an ONNX model"), "{reason}");

    // An output that does not match the labels.
    let res = register(
        &app,
        &admin,
        onnx.clone(),
        &description("short"),
        &numbered_labels(999),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let reason = error_of(res).await;
    assert!(
        reason.contains("1000 values") && reason.contains("999 labels"),
        "{reason}"
    );

    // A description that names an input the model does not have.
    let mut wrong = description("wrong input");
    wrong["input"] = json!("pixels");
    let res = register(&app, &admin, onnx.clone(), &wrong, &imagenet_labels()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let reason = error_of(res).await;
    assert!(
        reason.contains("no input \"pixels\"") && reason.contains("\"input\""),
        "{reason}"
    );

    // Descriptions and labels that are not what they should be.
    let mut broken = description("broken");
    broken["crop"] = json!(300);
    let res = register(&app, &admin, onnx.clone(), &broken, &imagenet_labels()).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("resize must be at least crop"));
    let res = register(
        &app,
        &admin,
        onnx.clone(),
        &json!({"name": "x"}),
        &imagenet_labels(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("description is not valid"));
    let bad_id = vec![json!({"name": "cat", "wordnet_id": "cat"})];
    let res = register(&app, &admin, onnx.clone(), &description("bad id"), &bad_id).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("WordNet id"));

    // Nothing was kept of any of them.
    let models: Vec<Value> = fetch(app.get(&user, "/api/v1/models")).await;
    assert_eq!(models.len(), 1);
    assert_eq!(app.rows("models").await, 0);
    assert!(!app.objects_dir().join("models").exists());

    // A name in use.
    let res = register(
        &app,
        &admin,
        onnx.clone(),
        &description("mine"),
        &imagenet_labels(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = register(
        &app,
        &admin,
        onnx.clone(),
        &description("MINE"),
        &imagenet_labels(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // A folder cannot choose a model that does not exist.
    let folder = app.folder(&user, "Trips", None).await;
    let res = choose(&app, &user, &folder, json!("no-such-model")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(res).await.contains("no model"));
    app.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn too_slow_and_too_large_models_are_refused() {
    // A limit below what the model takes over one photo, and one below its size.
    let app = classifying_app(|c| c.model_max_ms = 1).await;
    let (admin, _) = admin_and_user(&app).await;
    let res = register(
        &app,
        &admin,
        shipped("model.onnx"),
        &description("slow"),
        &imagenet_labels(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let reason = error_of(res).await;
    assert!(reason.contains("too slow"), "{reason}");

    // Just past the limit: the rest of the form is read, then refused with a 413.
    let size = shipped("model.onnx").len() as u64;
    let app = classifying_app(move |c| c.max_model_bytes = size - 1000).await;
    let (admin, _) = admin_and_user(&app).await;
    let res = register(
        &app,
        &admin,
        shipped("model.onnx"),
        &description("large"),
        &imagenet_labels(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.rows("models").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_register_choose_offer_to_classify_again_and_compare() {
    let app = classifying_app(|_| {}).await;
    let admin = common::browser();
    let csrf = common::sign_up_in_browser(&app, &admin, "admin@example.org").await;

    // The admin page lists the classifiers and registers one through its form's script.
    let page = text(admin.get(app.url("/admin"))).await;
    assert!(
        page.contains("Register a classifier") && page.contains("efficientnet"),
        "{page}"
    );
    let form = Form::new()
        .part(
            "file",
            Part::bytes(shipped("model.onnx")).file_name("model.onnx"),
        )
        .text("description", description("numbered").to_string())
        .text(
            "labels",
            serde_json::to_string(&numbered_labels(1000)).unwrap(),
        );
    let res = admin
        .post(app.url("/admin/models"))
        .header("x-csrf-token", &csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // Without the page's token it is refused.
    let form = Form::new().text("description", "{}");
    let res = admin
        .post(app.url("/admin/models"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = text(admin.get(app.url("/admin"))).await;
    assert!(page.contains("numbered"));

    // A folder's menu chooses it, and then offers to classify the folder's photos again.
    let b = common::browser();
    let csrf = common::sign_up_in_browser(&app, &b, "ada@example.org").await;
    let token = app.token("ada@example.org").await;
    let folder = app.folder(&token, "Trips", None).await;
    let photo = app
        .photo_bytes_in(&token, "coffee.png", testdata("coffee.png"), &folder)
        .await;
    assert_eq!(
        settled(&app, &token, &photo).await["labels"][0]["label"],
        "espresso"
    );
    let page = text(b.get(app.url(&format!("/gallery/{folder}")))).await;
    assert!(page.contains(&format!("/folders/{folder}/classifier")));
    let chooser = text(b.get(app.url(&format!("/folders/{folder}/classifier")))).await;
    assert!(
        chooser.contains("numbered") && chooser.contains("As the folder above"),
        "{chooser}"
    );
    let models: Vec<Value> = fetch(app.get(&token, "/api/v1/models")).await;
    let id = models[1]["id"].as_str().unwrap();
    let res = b
        .post(app.url(&format!("/folders/{folder}/classifier")))
        .header("x-csrf-token", &csrf)
        .form(&[("model_id", id)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let offer = res.text().await.unwrap();
    assert!(
        offer.contains("now use numbered") && offer.contains("Classify its 1 photo again"),
        "{offer}"
    );
    let res = b
        .post(app.url(&format!("/folders/{folder}/reclassify")))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("1 photo queued"));
    let again = settled(&app, &token, &photo).await;
    assert_eq!(again["labels"][0]["label"], "class 967");

    // The viewer's comparison: both classifiers' top labels and times, side by side.
    let table = text(b.get(app.url(&format!("/photos/{photo}/compare")))).await;
    assert!(
        table.contains("espresso") && table.contains("class 967") && table.contains(" ms"),
        "{table}"
    );
    // Another user's photo is not there for them.
    let eve = common::browser();
    common::sign_up_in_browser(&app, &eve, "eve@example.org").await;
    let res = eve
        .get(app.url(&format!("/photos/{photo}/compare")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_gigabyte_model_is_refused_before_it_is_sent() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = classifying_app(|_| {}).await;
    let (admin, _) = admin_and_user(&app).await;
    // A client that asks first (`Expect: 100-continue`, as curl does for large bodies) is
    // told 413 before it sends a byte of the 2 GB.
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /api/v1/admin/models HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {admin}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 2147483648\r\n\
         Expect: 100-continue\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("an answer without the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("larger than"), "{answer}");
    assert_eq!(app.rows("models").await, 0);
}
