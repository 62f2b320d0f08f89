//! Reading a CSV ahead of the database: rows are parsed (and prepared for storing) in their
//! own task while the previous batch is written, so a load costs about the larger of the
//! two instead of their sum. The channel holds a few batches, so memory stays flat.

use std::future::Future;

use tokio::sync::mpsc::Receiver;

use super::ImportError;

/// A reader of typed rows from a CSV file.
pub trait RowSource: Send + 'static {
    type Row: Send + 'static;

    /// The next row, `None` at the end of the file.
    fn next_row(&mut self) -> impl Future<Output = Result<Option<Self::Row>, ImportError>> + Send;
}

/// Batches of `batch` rows of `source`, each row passed through `prepare`, read in a task
/// of their own. A read error is the last item; dropping the receiver stops the reading.
pub fn read_ahead<S, T>(
    mut source: S,
    batch: usize,
    prepare: impl Fn(S::Row) -> T + Send + 'static,
) -> Receiver<Result<Vec<T>, ImportError>>
where
    S: RowSource,
    T: Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        loop {
            let mut rows = Vec::with_capacity(batch);
            let mut finished = false;
            while rows.len() < batch {
                match source.next_row().await {
                    Ok(Some(row)) => rows.push(prepare(row)),
                    Ok(None) => {
                        finished = true;
                        break;
                    }
                    Err(err) => {
                        let _ = sender.send(Err(err)).await;
                        return;
                    }
                }
            }
            if (!rows.is_empty() && sender.send(Ok(rows)).await.is_err()) || finished {
                return;
            }
        }
    });
    receiver
}
