//! Bounds the API enforces and the SPA states, in one place.

/// Columns a recipient CSV's header may have (and entries a column mapping may have).
/// Real operator files have tens; the bound keeps a hostile header from costing more
/// than a moment of work.
pub const CSV_HEADER_MAX_COLUMNS: usize = 500;
/// Bytes a recipient CSV's header line may take.
pub const CSV_HEADER_MAX_BYTES: usize = 32 * 1024;

/// Characters a new password needs at least (OWASP ASVS 2.1.1): a passphrase of a few
/// words fits, and the commonest passwords are refused whatever their length.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Characters a password may have: longer ones add nothing but hashing work.
pub const PASSWORD_MAX_CHARS: usize = 1024;

/// Groups one user may be given in one call.
pub const USER_MAX_GROUPS: usize = 50;
/// Ambiguous recipients settled in one call.
pub const RESOLVE_MAX_IDS: usize = 5000;

/// Users one search for a sender's owner answers (the picker asks again as one types).
pub const SENDER_CANDIDATES_MAX: u64 = 50;

/// Characters a subject may have: the longest line RFC 5322 allows (§2.1.1).
pub const SUBJECT_MAX_CHARS: usize = 998;
/// Attachments one message (or each message of a bulk send) may carry.
pub const ATTACHMENTS_PER_MESSAGE_MAX: usize = 10;
/// Items a list answers when `page_size` is not given.
pub const PAGE_SIZE_DEFAULT: u64 = 25;
/// Items a list answers at most per page.
pub const PAGE_SIZE_MAX: u64 = 500;
