use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;

use super::{Delivery, Listed, ObjectStore, StorageError};

/// How long a signed link to a photo stays valid: handed out only after `access` said yes,
/// it should not outlive that answer by much (a share removed, a link revoked).
pub const PRESIGN_SECS: u64 = 300;

/// Files larger than this go up as a multipart upload in parts of this size, each read from
/// disk as it is sent (S3 wants parts of at least 5 MiB, all but the last).
pub const PART_BYTES: u64 = 8 << 20;

/// Objects in an S3 bucket (AWS or any S3-compatible store), configured by the standard
/// AWS settings (`AWS_REGION`, `AWS_ENDPOINT_URL`, credentials). Browsers fetch photos by
/// short-lived presigned URLs, straight from S3: the servers never carry image bytes out,
/// which is what lets any number of them stay small.
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
    /// The origin browsers fetch presigned URLs from (for the Content-Security-Policy).
    pub origin: String,
}

fn unavailable(key: &str, err: impl std::fmt::Display) -> StorageError {
    StorageError::Unavailable(format!("{key}: {err}"))
}

impl S3Store {
    /// `s3://BUCKET/PREFIX`. Path-style addressing is used when `path_style` says so, else
    /// when a custom endpoint is set (S3-compatible servers want it).
    pub async fn connect(
        url: &str,
        endpoint: Option<&str>,
        path_style: Option<bool>,
    ) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| anyhow::anyhow!("not an s3:// URL: {url}"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        anyhow::ensure!(
            !bucket.is_empty(),
            "GALLERY_STORAGE=s3://BUCKET/PREFIX needs a bucket name"
        );
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let conf = loader
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .build(),
            )
            .load()
            .await;
        let endpoint = conf.endpoint_url().map(str::to_owned);
        let path_style = path_style.unwrap_or(endpoint.is_some());
        let s3 = aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(path_style)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .build();
        let region = conf
            .region()
            .map_or_else(|| "us-east-1".to_owned(), |r| r.to_string());
        let origin = match &endpoint {
            Some(e) => e.trim_end_matches('/').to_owned(),
            None if path_style => format!("https://s3.{region}.amazonaws.com"),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        };
        Ok(Self {
            client: Client::from_conf(s3),
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            origin,
        })
    }

    async fn put_in_parts(
        &self,
        full_key: &str,
        path: &Path,
        len: u64,
        content_type: &str,
    ) -> Result<(), String> {
        let fail = |e: &dyn std::error::Error| classifier::error_chain(e);
        let upload = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(full_key)
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| fail(&e))?;
        let upload_id = upload
            .upload_id()
            .ok_or("the store gave no upload id")?
            .to_owned();
        let parts = async {
            let mut parts = Vec::new();
            let (mut offset, mut number) = (0u64, 1i32);
            while offset < len {
                let size = PART_BYTES.min(len - offset);
                let body = ByteStream::read_from()
                    .path(path)
                    .offset(offset)
                    .length(Length::Exact(size))
                    .build()
                    .await
                    .map_err(|e| fail(&e))?;
                let part = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(full_key)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| fail(&e))?;
                parts.push(
                    CompletedPart::builder()
                        .set_e_tag(part.e_tag().map(str::to_owned))
                        .part_number(number)
                        .build(),
                );
                offset += size;
                number += 1;
            }
            self.client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(full_key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| fail(&e))?;
            Ok::<_, String>(())
        };
        let result = parts.await;
        if result.is_err() {
            // Leave no parts behind to be billed for.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(full_key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }

    /// One object in one request.
    async fn put_object(
        &self,
        key: &str,
        body: ByteStream,
        content_type: &str,
    ) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| unavailable(key, aws_sdk_s3::error::DisplayErrorContext(e)))
    }

    /// An object's answer, its body not yet read.
    async fn get_object(
        &self,
        key: &str,
    ) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput, StorageError> {
        self.client
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    StorageError::NotFound(key.to_owned())
                } else {
                    unavailable(key, aws_sdk_s3::error::DisplayErrorContext(e))
                }
            })
    }

    fn key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn put(&self, key: &str, data: Bytes, content_type: &str) -> Result<(), StorageError> {
        self.put_object(key, ByteStream::from(data), content_type)
            .await
    }

    async fn put_file(
        &self,
        key: &str,
        path: &Path,
        len: u64,
        content_type: &str,
    ) -> Result<(), StorageError> {
        if len > PART_BYTES {
            return self
                .put_in_parts(&self.key(key), path, len, content_type)
                .await
                .map_err(|e| unavailable(key, e));
        }
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| unavailable(key, e))?;
        self.put_object(key, body, content_type).await
    }

    async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        let out = self.get_object(key).await?;
        out.body
            .collect()
            .await
            .map(|b| b.into_bytes())
            .map_err(|e| unavailable(key, e))
    }

    async fn stream(&self, key: &str) -> Result<(super::ByteStream, u64), StorageError> {
        let out = self.get_object(key).await?;
        let len = out.content_length().unwrap_or(0).max(0) as u64;
        let chunks = futures_util::stream::unfold(out.body, |mut body| async move {
            let chunk = body.next().await?;
            Some((chunk.map_err(std::io::Error::other), body))
        });
        Ok((Box::pin(chunks), len))
    }

    async fn deliver(&self, key: &str) -> Result<Delivery, StorageError> {
        let config = PresigningConfig::expires_in(Duration::from_secs(PRESIGN_SECS))
            .map_err(|e| unavailable(key, e))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .presigned(config)
            .await
            .map_err(|e| unavailable(key, aws_sdk_s3::error::DisplayErrorContext(e)))?;
        Ok(Delivery::Redirect(request.uri().to_owned()))
    }

    fn s3_location(&self, key: &str) -> Option<(String, String)> {
        Some((self.bucket.clone(), self.key(key)))
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| unavailable(key, aws_sdk_s3::error::DisplayErrorContext(e)))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StorageError> {
        let full = self.key(prefix);
        let strip = self.key("");
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&full)
            .into_paginator()
            .send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| unavailable(prefix, aws_sdk_s3::error::DisplayErrorContext(e)))?;
            for object in page.contents() {
                let Some(key) = object.key().and_then(|k| k.strip_prefix(&strip)) else {
                    continue;
                };
                found.push(Listed {
                    key: key.to_owned(),
                    modified_ms: object
                        .last_modified()
                        .and_then(|t| t.to_millis().ok())
                        .unwrap_or(0),
                    bytes: object.size().unwrap_or(0).max(0) as u64,
                });
            }
        }
        Ok(found)
    }
}
