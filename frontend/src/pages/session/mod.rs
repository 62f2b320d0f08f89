//! "Iniciar sesión".

mod login;

pub use login::Login;
