//! Files under `DATA_DIR`: uploads are streamed in with a hard size limit.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::config::Config;
use crate::error::{AppError, AppResult};

/// Writes `chunks` to `path`, refusing past `limit` bytes (the partial file is removed).
/// Answers the size and SHA-256.
pub async fn write_limited<S, E>(
    path: &Path,
    chunks: &mut S,
    limit: u64,
) -> AppResult<(u64, String)>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Into<AppError>,
{
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let result = async {
        let mut file = tokio::fs::File::create(path).await?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(Into::into)?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(AppError::too_large(limit));
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        Ok((size, hex::encode(hasher.finalize())))
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(path).await;
    }
    result
}

/// A fresh path for an upload being received.
pub fn spool_path(config: &Config) -> PathBuf {
    config
        .data_dir
        .join("uploads")
        .join(format!("incoming-{}.csv", uuid::Uuid::new_v4()))
}

/// Deletes a spooled upload when dropped (unless it was moved away first).
pub struct Spooled(pub PathBuf);

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// An uploaded file received into a spool file under `DATA_DIR`, with what the client said
/// of it; the spool is removed when dropped unless it was moved away.
pub struct SpooledFile {
    pub spool: Spooled,
    pub name: String,
    /// The content type the client declared for the part.
    pub content_type: Option<String>,
    pub size: u64,
    pub sha256: String,
}
