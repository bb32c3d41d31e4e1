//! A property of the folder tree: whatever creates and moves two clients of one user send
//! at the same time, through the real server, no folder ever ends up inside itself, none
//! is nested deeper than the limit, and no request fails on the server's side.
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
enum Op {
    /// A new folder inside the folder of this index (of those made so far), or at the top.
    Create(Option<usize>),
    /// The folder of the first index into the second, or to the top.
    Move(usize, Option<usize>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => proptest::option::of(0..64usize).prop_map(Op::Create),
        3 => (0..64usize, proptest::option::of(0..64usize)).prop_map(|(a, b)| Op::Move(a, b)),
    ]
}

async fn run(app: &common::TestApp, token: &str, ids: &Mutex<Vec<String>>, ops: Vec<Op>) {
    for op in ops {
        let pick = |n: Option<usize>| {
            let ids = ids.lock().unwrap();
            n.map(|n| ids[n % ids.len()].clone())
        };
        let res = match op {
            Op::Create(parent) => {
                let name = uuid::Uuid::new_v4().simple().to_string();
                app.post(token, "/api/v1/folders")
                    .json(&json!({"name": name, "parent_id": pick(parent)}))
                    .send()
                    .await
                    .unwrap()
            }
            Op::Move(folder, parent) => {
                let folder = pick(Some(folder)).unwrap();
                app.patch(token, &format!("/api/v1/folders/{folder}"))
                    .json(&json!({"parent_id": pick(parent)}))
                    .send()
                    .await
                    .unwrap()
            }
        };
        let status = res.status();
        assert!(
            [
                StatusCode::OK,
                StatusCode::CREATED,
                StatusCode::BAD_REQUEST,
                StatusCode::CONFLICT
            ]
            .contains(&status),
            "{status}"
        );
        if status == StatusCode::CREATED {
            let made: Value = res.json().await.unwrap();
            ids.lock()
                .unwrap()
                .push(made["id"].as_str().unwrap().to_owned());
        }
    }
}

/// Every folder's way up reaches the top within the depth limit.
async fn assert_a_forest(app: &common::TestApp) {
    let rows: Vec<(String, Option<String>)> = sqlx::query_as("SELECT id, parent_id FROM folders")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    let parent: HashMap<&str, Option<&str>> = rows
        .iter()
        .map(|(id, p)| (id.as_str(), p.as_deref()))
        .collect();
    for (id, _) in &rows {
        let mut at = Some(id.as_str());
        let mut depth = 0;
        while let Some(folder) = at {
            depth += 1;
            assert!(depth <= 64, "{id} is in a loop or deeper than 64 levels");
            at = parent[folder];
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, max_shrink_iters: 32, ..ProptestConfig::default() })]

    #[test]
    fn two_clients_creating_and_moving_at_once_never_make_a_loop(
        first in proptest::collection::vec(op(), 1..30),
        second in proptest::collection::vec(op(), 1..30),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let app = common::spawn_app().await;
            let token = app.user("ada@example.org").await;
            let mut made = Vec::new();
            for n in 0..4 {
                made.push(app.folder(&token, &format!("start {n}"), None).await);
            }
            let ids = Arc::new(Mutex::new(made));
            tokio::join!(
                run(&app, &token, &ids, first),
                run(&app, &token, &ids, second)
            );
            assert_a_forest(&app).await;
        });
    }
}
