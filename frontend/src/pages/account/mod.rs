//! What every signed-in user manages for themselves: API tokens, "Mi remitente" and their
//! password.

mod password;
mod sender;
mod tokens;

pub use password::ChangePasswordPage;
pub use sender::MySenderPage;
pub use tokens::Tokens;
