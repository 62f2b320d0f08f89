//! "Plantillas": Doppler's templates — the list with search and a refresh from Doppler, and
//! an editor with a live preview (read-only for `templates.view`).

mod editor;
mod list;

pub use editor::TemplateEditor;
pub use list::TemplateListPage;
