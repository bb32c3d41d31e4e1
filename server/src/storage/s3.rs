use std::time::Duration;

use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::RequestChecksumCalculation;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;

use super::{Delivery, ObjectStore, StorageError};

/// How long a signed link to a photo stays valid.
const PRESIGN_SECS: u64 = 900;

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
    /// `s3://BUCKET/PREFIX`. Path-style addressing is used when a custom endpoint is set
    /// (S3-compatible servers want it), unless `GALLERY_S3_PATH_STYLE=false`.
    pub async fn connect(url: &str, endpoint: Option<&str>) -> anyhow::Result<Self> {
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
        let path_style =
            std::env::var("GALLERY_S3_PATH_STYLE").map_or(endpoint.is_some(), |v| v != "false");
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
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.key(key))
            .content_type(content_type)
            .body(ByteStream::from(data))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| unavailable(key, aws_sdk_s3::error::DisplayErrorContext(e)))
    }

    async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        let out = self
            .client
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
            })?;
        out.body
            .collect()
            .await
            .map(|b| b.into_bytes())
            .map_err(|e| unavailable(key, e))
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
}
