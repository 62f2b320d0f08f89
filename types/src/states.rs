//! Every state and kind the API speaks of, as enums the API and the SPA share: the OpenAPI
//! document lists their values, the SPA's badges and filters use them, and a state change
//! in the API is an exhaustive `match`.

/// A value that is not one of an enum's spellings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

impl std::fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "'{}' is not a known {}", self.value, self.kind)
    }
}

impl std::error::Error for UnknownValue {}

/// A string-backed enum: `as_str`, `ALL`, `FromStr`, `Display`, serde with the same
/// spellings, and (with `openapi`) a string enum schema.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident ($kind:tt) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:tt ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(
            feature = "db",
            derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
            sea_orm(rs_type = "String", db_type = "Text")
        )]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                #[cfg_attr(feature = "db", sea_orm(string_value = $text))]
                $variant
            ),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::states::UnknownValue;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::states::UnknownValue { kind: $kind, value: value.to_string() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// Where a bulk send stands. `importing → ready | ready_with_errors | import_failed`,
    /// then `scheduled → queued → sending → done | done_with_errors | failed`, with `paused`
    /// and `cancelled` on the way.
    BulkSendStatus ("bulk send status") {
        Importing = "importing",
        Ready = "ready",
        ReadyWithErrors = "ready_with_errors",
        ImportFailed = "import_failed",
        Scheduled = "scheduled",
        Queued = "queued",
        Sending = "sending",
        Paused = "paused",
        Done = "done",
        DoneWithErrors = "done_with_errors",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

string_enum! {
    /// What a Doppler report row's `Status` means for its message (docs/doppler.md): Doppler's
    /// own statuses are `Queued`, `Sent`, `Rejected`, `Retrying`, `Invalid`, `Dropped`.
    DeliveryOutcome ("delivery outcome") {
        /// `Sent`: Doppler delivered it (its own reports call it "Enviado").
        Delivered = "delivered",
        /// `Rejected` or `Invalid`: a bounce, hard or soft (the summary does not say which).
        Bounced = "bounced",
        /// `Dropped`: Doppler discarded it (its blacklist); never delivered.
        Dropped = "dropped",
        /// `Queued` or `Retrying`: not settled yet.
        Pending = "pending",
        /// A complaint (spellings other reports use).
        Spam = "spam",
        Unsubscribed = "unsubscribed",
        /// A status we do not know: counted apart, shown as it came, never folded into another.
        Other = "other",
    }
}

impl DeliveryOutcome {
    /// What it means, in Spanish or English, as the campaign page says it.
    pub const fn label(self, spanish: bool) -> &'static str {
        use DeliveryOutcome as O;
        match (self, spanish) {
            (O::Delivered, true) => "entregado",
            (O::Delivered, false) => "delivered",
            (O::Bounced, true) => "rebote",
            (O::Bounced, false) => "bounced",
            (O::Dropped, true) => "descartado por Doppler",
            (O::Dropped, false) => "dropped by Doppler",
            (O::Pending, true) => "pendiente",
            (O::Pending, false) => "pending",
            (O::Spam, true) => "spam",
            (O::Spam, false) => "spam",
            (O::Unsubscribed, true) => "desuscrito",
            (O::Unsubscribed, false) => "unsubscribed",
            (O::Other, true) => "otro",
            (O::Other, false) => "other",
        }
    }

    /// Every `Status` spelling we know, lower-case, with its outcome: Doppler's own vocabulary
    /// first, then the spellings of other exports, which keep working.
    pub const SPELLINGS: &'static [(&'static str, DeliveryOutcome)] = &[
        ("sent", DeliveryOutcome::Delivered),
        ("rejected", DeliveryOutcome::Bounced),
        ("invalid", DeliveryOutcome::Bounced),
        ("dropped", DeliveryOutcome::Dropped),
        ("queued", DeliveryOutcome::Pending),
        ("retrying", DeliveryOutcome::Pending),
        ("delivered", DeliveryOutcome::Delivered),
        ("delivery", DeliveryOutcome::Delivered),
        ("success", DeliveryOutcome::Delivered),
        ("bounced", DeliveryOutcome::Bounced),
        ("bounce", DeliveryOutcome::Bounced),
        ("hardbounce", DeliveryOutcome::Bounced),
        ("softbounce", DeliveryOutcome::Bounced),
        ("discarded", DeliveryOutcome::Dropped),
        ("pending", DeliveryOutcome::Pending),
        ("spam", DeliveryOutcome::Spam),
        ("complaint", DeliveryOutcome::Spam),
        ("unsubscribed", DeliveryOutcome::Unsubscribed),
        ("unsubscribe", DeliveryOutcome::Unsubscribed),
    ];

    /// The outcome of a report row's `Status`, compared without case or surrounding spaces;
    /// `Other` for a spelling not in [`Self::SPELLINGS`].
    pub fn of(status: &str) -> DeliveryOutcome {
        let status = status.trim().to_ascii_lowercase();
        Self::SPELLINGS
            .iter()
            .find(|(spelling, _)| *spelling == status)
            .map_or(DeliveryOutcome::Other, |(_, outcome)| *outcome)
    }
}

string_enum! {
    /// One thing `relay-console doctor` and `GET /api/v1/system/checks` look at.
    SystemCheckName ("system check") {
        DopplerCredentials = "doppler_credentials",
        DopplerAccount = "doppler_account",
        Templates = "templates",
        SendingLimits = "sending_limits",
        DefaultSender = "default_sender",
        Database = "database",
        AnalyticsDatabase = "analytics_database",
        DataDir = "data_dir",
        AllowedHosts = "allowed_hosts",
        TimeZone = "time_zone",
        ReportFileHosts = "report_file_hosts",
    }
}

/// What an operator can do to a bulk send. Which statuses allow which action is one
/// exhaustive match ([`BulkSendStatus::allows`]): the API's compare-and-set and the SPA's
/// buttons both read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BulkAction {
    /// Start sending now (a ready or scheduled send).
    Queue,
    Pause,
    Resume,
    Cancel,
    /// Send again what was put back after it finished (ambiguous recipients resent).
    Resend,
    /// Settle ambiguous recipients: mark them sent, or put them back to send.
    ResolveAmbiguous,
}

impl BulkAction {
    /// The endpoint that takes this action alone: `POST /api/v1/bulk-sends/{id}/{command}`
    /// (resending and resolving take recipients, through `recipients/resolve`).
    pub const fn command(self) -> Option<&'static str> {
        match self {
            BulkAction::Queue => Some("queue"),
            BulkAction::Pause => Some("pause"),
            BulkAction::Resume => Some("resume"),
            BulkAction::Cancel => Some("cancel"),
            BulkAction::Resend | BulkAction::ResolveAmbiguous => None,
        }
    }

    /// The verb, as in "No se puede {verb} un envío..." (Spanish, English).
    pub const fn verb(self) -> (&'static str, &'static str) {
        match self {
            BulkAction::Queue => ("enviar", "send"),
            BulkAction::Pause => ("pausar", "pause"),
            BulkAction::Resume => ("reanudar", "resume"),
            BulkAction::Cancel => ("cancelar", "cancel"),
            BulkAction::Resend => ("reenviar", "resend"),
            BulkAction::ResolveAmbiguous => ("resolver", "resolve"),
        }
    }
}

impl BulkSendStatus {
    /// Whether a send in this status may take `action`.
    pub const fn allows(self, action: BulkAction) -> bool {
        use BulkAction as A;
        match self {
            BulkSendStatus::Importing | BulkSendStatus::ImportFailed => false,
            BulkSendStatus::Ready | BulkSendStatus::ReadyWithErrors | BulkSendStatus::Scheduled => {
                matches!(action, A::Queue | A::Cancel | A::ResolveAmbiguous)
            }
            BulkSendStatus::Queued | BulkSendStatus::Sending => {
                matches!(action, A::Pause | A::Cancel | A::ResolveAmbiguous)
            }
            BulkSendStatus::Paused => matches!(action, A::Resume | A::Cancel | A::ResolveAmbiguous),
            BulkSendStatus::Done | BulkSendStatus::DoneWithErrors | BulkSendStatus::Failed => {
                matches!(action, A::Resend | A::ResolveAmbiguous)
            }
            BulkSendStatus::Cancelled => matches!(action, A::ResolveAmbiguous),
        }
    }

    /// Every status that allows `action` (the `from` of its compare-and-set).
    pub fn allowing(action: BulkAction) -> Vec<BulkSendStatus> {
        Self::ALL
            .iter()
            .copied()
            .filter(|status| status.allows(action))
            .collect()
    }

    /// Sending is over: nothing more goes out unless someone acts.
    pub const fn is_finished(self) -> bool {
        match self {
            BulkSendStatus::Done
            | BulkSendStatus::DoneWithErrors
            | BulkSendStatus::Failed
            | BulkSendStatus::Cancelled
            | BulkSendStatus::ImportFailed => true,
            BulkSendStatus::Importing
            | BulkSendStatus::Ready
            | BulkSendStatus::ReadyWithErrors
            | BulkSendStatus::Scheduled
            | BulkSendStatus::Queued
            | BulkSendStatus::Sending
            | BulkSendStatus::Paused => false,
        }
    }
}

string_enum! {
    /// What happened to a bulk send (its timeline).
    BulkEventKind ("bulk send event") {
        Created = "created",
        Queued = "queued",
        ScheduledStart = "scheduled_start",
        StartFailed = "start_failed",
        SendingStarted = "sending_started",
        Paused = "paused",
        QuotaPaused = "quota_paused",
        RelayPaused = "relay_paused",
        /// Doppler refused the credentials (401/403): paused until the settings are fixed.
        CredentialsPaused = "credentials_paused",
        Resumed = "resumed",
        Cancelled = "cancelled",
        Finished = "finished",
        MarkedSent = "marked_sent",
        Resent = "resent",
        ReportRefreshed = "report_refreshed",
    }
}

string_enum! {
    /// Where one recipient's message stands: `not_started → sending → sent | send_failed |
    /// ambiguous` (ambiguous: it may have gone out; an operator decides).
    SendStatus ("recipient send status") {
        NotStarted = "not_started",
        Sending = "sending",
        Sent = "sent",
        SendFailed = "send_failed",
        Ambiguous = "ambiguous",
    }
}

/// The groups of statuses the list's cards count (a status may be in two: `failed` is
/// finished and with errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusGroup {
    Scheduled,
    InProgress,
    Finished,
    WithErrors,
}

impl StatusGroup {
    pub const ALL: [StatusGroup; 4] = [
        StatusGroup::Scheduled,
        StatusGroup::InProgress,
        StatusGroup::Finished,
        StatusGroup::WithErrors,
    ];

    pub const fn statuses(self) -> &'static [BulkSendStatus] {
        use BulkSendStatus as B;
        match self {
            StatusGroup::Scheduled => &[B::Scheduled],
            StatusGroup::InProgress => &[B::Importing, B::Queued, B::Sending, B::Paused],
            StatusGroup::Finished => &[B::Done, B::DoneWithErrors, B::Failed, B::Cancelled],
            StatusGroup::WithErrors => &[B::DoneWithErrors, B::Failed, B::ImportFailed],
        }
    }

    /// The statuses as the list's `status` filter takes them (`queued,sending`).
    pub fn filter(self) -> String {
        self.statuses()
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

string_enum! {
    /// Where a recipient stands, as an operator reads it: its verdict, its send status and
    /// its send's state together. An invalid row is never "pending"; a valid row a
    /// finished or cancelled send never reached is "not sent".
    RecipientState ("recipient state") {
        Pending = "pending",
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
        Ambiguous = "ambiguous",
        /// The row's verdict is invalid: it is never sent.
        Invalid = "invalid",
        /// The send ended (finished, failed or cancelled) before this row went out.
        NotSent = "not_sent",
    }
}

impl RecipientState {
    pub fn of(validation: ValidationStatus, send: SendStatus, bulk: BulkSendStatus) -> Self {
        use BulkSendStatus as B;
        match (validation, send) {
            (ValidationStatus::Invalid, _) => RecipientState::Invalid,
            (_, SendStatus::Sending) => RecipientState::Sending,
            (_, SendStatus::Sent) => RecipientState::Sent,
            (_, SendStatus::SendFailed) => RecipientState::Failed,
            (_, SendStatus::Ambiguous) => RecipientState::Ambiguous,
            (_, SendStatus::NotStarted) => match bulk {
                B::Done | B::DoneWithErrors | B::Failed | B::Cancelled | B::ImportFailed => {
                    RecipientState::NotSent
                }
                _ => RecipientState::Pending,
            },
        }
    }

    /// The operators' words for it (legacy §5.3), in Spanish or English.
    pub const fn label(self, spanish: bool) -> &'static str {
        use RecipientState as R;
        match (self, spanish) {
            (R::Pending, true) => "pendiente",
            (R::Pending, false) => "pending",
            (R::Sending, true) => "enviando",
            (R::Sending, false) => "sending",
            (R::Sent, true) => "enviado",
            (R::Sent, false) => "sent",
            (R::Failed, true) => "falló",
            (R::Failed, false) => "failed",
            (R::Ambiguous, true) => "ambiguo",
            (R::Ambiguous, false) => "ambiguous",
            (R::Invalid, true) => "inválido, no se envía",
            (R::Invalid, false) => "invalid, not sent",
            (R::NotSent, true) => "no enviado",
            (R::NotSent, false) => "not sent",
        }
    }
}

string_enum! {
    /// The verdict on a recipient row: importable, importable but worth a look, or not sent.
    ValidationStatus ("validation status") {
        Valid = "valid",
        Warning = "warning",
        Invalid = "invalid",
    }
}

impl ValidationStatus {
    /// The verdict in Spanish or English.
    pub const fn label(self, spanish: bool) -> &'static str {
        match (self, spanish) {
            (ValidationStatus::Valid, true) => "válido",
            (ValidationStatus::Valid, false) => "valid",
            (ValidationStatus::Warning, true) => "advertencia",
            (ValidationStatus::Warning, false) => "warning",
            (ValidationStatus::Invalid, true) => "inválido",
            (ValidationStatus::Invalid, false) => "invalid",
        }
    }
}

string_enum! {
    /// Where a single message stands (as a recipient's send).
    MessageStatus ("message status") {
        Sending = "sending",
        Sent = "sent",
        SendFailed = "send_failed",
        Ambiguous = "ambiguous",
    }
}

string_enum! {
    /// A background job's state: `queued → running → done | error`.
    JobState ("job state") {
        Queued = "queued",
        Running = "running",
        Done = "done",
        Error = "error",
    }
}

string_enum! {
    /// The kinds of background work.
    JobType ("job type") {
        /// Sends a bulk send's recipients.
        BulkSend = "bulk_send",
        /// One step of a Doppler report: request, poll, download.
        ProcessReport = "process_report",
        /// Requests, processes and loads a finished bulk send's own report.
        PostSendReport = "post_send_report",
    }
}

string_enum! {
    /// A Doppler report's state (the legacy upper-case spellings).
    ReportState ("report state") {
        Pending = "PENDING",
        Processing = "PROCESSING",
        Ready = "READY",
        Error = "ERROR",
    }
}

string_enum! {
    /// What a Doppler report lists.
    ReportType ("report type") {
        Deliveries = "deliveries",
        Bounces = "bounces",
        Opens = "opens",
        Clicks = "clicks",
        Spam = "spam",
        Unsubscribed = "unsubscribed",
        Sent = "sent",
    }
}

string_enum! {
    /// A database report rows can be loaded into.
    LoadTarget ("load target") {
        Default = "default",
        Analytics = "analytics",
    }
}

string_enum! {
    /// Reports by where they were loaded: into one database, or `none` (nowhere yet).
    LoadedInto ("load filter") {
        Default = "default",
        Analytics = "analytics",
        None = "none",
    }
}

string_enum! {
    /// Where a bulk send's own delivery report stands.
    BulkReportState ("bulk send report state") {
        NotStarted = "not_started",
        Pending = "pending",
        Processing = "processing",
        Ready = "ready",
        ZeroRows = "zero_rows",
        Error = "error",
    }
}

string_enum! {
    /// Where a report came from.
    ReportOrigin ("report origin") {
        /// Requested by someone.
        Manual = "manual",
        /// Requested automatically after a bulk send finished.
        PostSend = "post_send",
    }
}

string_enum! {
    /// A list's period of creation.
    Period ("period") {
        /// The current calendar month in `TIME_ZONE` (the legacy list's default).
        CurrentMonth = "current_month",
        All = "all",
    }
}

string_enum! {
    /// What a user may do. Superusers hold all of them.
    PermissionCode ("permission") {
        BulkSendsView = "bulk_sends.view",
        BulkSendsOperate = "bulk_sends.operate",
        JobsView = "jobs.view",
        TemplatesView = "templates.view",
        TemplatesManage = "templates.manage",
        MessagesSend = "messages.send",
        SendersManage = "senders.manage",
        ReportsView = "reports.view",
        ReportsRequest = "reports.request",
        ReportsProcess = "reports.can_process_reports",
        ReportsLoad = "reports.can_load_to_db",
        UsersManage = "users.manage",
        AuditView = "audit.view",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_through_serde_and_from_str() {
        for status in BulkSendStatus::ALL {
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(status.as_str().parse::<BulkSendStatus>().unwrap(), *status);
        }
        assert_eq!(ReportState::Ready.as_str(), "READY");
        assert_eq!(
            "reports.can_load_to_db".parse::<PermissionCode>().unwrap(),
            PermissionCode::ReportsLoad
        );
        assert!("bogus".parse::<JobType>().is_err());
    }

    #[test]
    fn report_statuses_mean_what_doppler_says() {
        use DeliveryOutcome as O;
        for (status, outcome) in [
            ("Sent", O::Delivered),
            ("Rejected", O::Bounced),
            ("Invalid", O::Bounced),
            ("Dropped", O::Dropped),
            ("Queued", O::Pending),
            ("Retrying", O::Pending),
            (" DELIVERED ", O::Delivered),
            ("Bounced", O::Bounced),
            ("Spam", O::Spam),
            ("Unsubscribed", O::Unsubscribed),
            ("Opened", O::Other),
            ("", O::Other),
        ] {
            assert_eq!(O::of(status), outcome, "{status}");
        }
    }

    #[test]
    fn only_a_ready_or_scheduled_send_starts_and_only_a_running_one_pauses() {
        assert_eq!(
            BulkSendStatus::allowing(BulkAction::Queue),
            [
                BulkSendStatus::Ready,
                BulkSendStatus::ReadyWithErrors,
                BulkSendStatus::Scheduled
            ]
        );
        assert_eq!(
            BulkSendStatus::allowing(BulkAction::Pause),
            [BulkSendStatus::Queued, BulkSendStatus::Sending]
        );
        assert!(!BulkSendStatus::Cancelled.allows(BulkAction::Resume));
        assert!(!BulkSendStatus::Importing.allows(BulkAction::Cancel));
        assert!(BulkSendStatus::Done.allows(BulkAction::Resend));
    }
}

string_enum! {
    /// `GET /healthz`: the process answers.
    HealthStatus ("health status") {
        Ok = "ok",
    }
}

string_enum! {
    /// `GET /readyz`: whether the database answers and every migration is applied.
    ReadinessStatus ("readiness status") {
        Ready = "ready",
        NotReady = "not_ready",
    }
}
