//! What every signed-in user manages for themselves: API tokens and "Mi remitente".

mod sender;
mod tokens;

pub use sender::MySenderPage;
pub use tokens::Tokens;
