//! The error contract clients are written against: every code, its HTTP status and the JSON body
//! the REST API (inside `{"error": ...}`) and server functions send. A change to any of them shows
//! up as a snapshot diff to review, not as a silent break.

use engine::{Conflict, CredentialRule, EngineError, ErrorBody, ErrorCode, Resource};
use serde_json::json;

/// One error of each code, as the engine raises it; `None` for the code only the browser makes.
/// Exhaustive, so a new code cannot be added without its example (and its line in the snapshot).
fn example(code: ErrorCode) -> Option<EngineError> {
    use ErrorCode as C;
    use engine::eav::{DataError as D, RuleType};
    use engine::etl::EtlError as T;
    use engine::reports::ReportError as R;
    let id = uuid::Uuid::nil();
    Some(match code {
        C::InvalidInput => EngineError::invalid("a token needs a name of 1 to 100 characters"),
        C::UnreadableFile => EngineError::UnreadableFile { file: "LEEME.txt".into(), reason: "plain text, not a table".into() },
        C::RefusedFile => EngineError::Refused { file: "bomb.zip".into(), reason: "it expands 1000×".into() },
        C::MalformedRequest => EngineError::Malformed("Invalid URL: UUID parsing failed".into()),
        C::Unauthenticated => EngineError::Unauthenticated,
        C::BadCredentials => EngineError::BadCredentials,
        C::Forbidden => EngineError::Forbidden("create datasets"),
        C::ForbiddenOrigin => EngineError::ForeignOrigin("https://evil.example".into()),
        C::PromptNotYours => EngineError::PromptNotYours,
        C::OutOfRange => EngineError::OutOfRange { field: engine::Field::Margin, min: 0.001, max: 0.499 },
        C::UsernameInvalid => EngineError::Credential(CredentialRule::UsernameInvalid),
        C::PasswordTooShort => EngineError::Credential(CredentialRule::PasswordTooShort),
        C::PasswordTooLong => EngineError::Credential(CredentialRule::PasswordTooLong),
        C::PasswordIsUsername => EngineError::Credential(CredentialRule::PasswordIsUsername),
        C::PasswordTooWeak => EngineError::Credential(CredentialRule::PasswordTooWeak),
        C::CurrentPasswordWrong => EngineError::Credential(CredentialRule::CurrentPasswordWrong),
        C::PasskeyRejected => EngineError::Credential(CredentialRule::PasskeyRejected),
        C::PasskeyNotStarted => EngineError::Credential(CredentialRule::PasskeyNotStarted),
        C::PasskeyForeign => EngineError::Credential(CredentialRule::PasskeyForeign),
        C::PasskeyExpired => EngineError::Credential(CredentialRule::PasskeyExpired),
        C::ReauthenticationRequired => EngineError::ReauthenticationRequired,
        C::PasswordChangeRequired => EngineError::PasswordChangeRequired,
        C::UploadNotFound => EngineError::NotFound(Resource::Upload),
        C::TableNotFound => EngineError::NotFound(Resource::Table),
        C::DatasetNotFound => EngineError::NotFound(Resource::Dataset),
        C::ShareNotFound => EngineError::NotFound(Resource::Share),
        C::PromptNotFound => EngineError::NotFound(Resource::Prompt),
        C::PromptVersionNotFound => EngineError::NotFound(Resource::PromptVersion),
        C::RunNotFound => EngineError::NotFound(Resource::Run),
        C::SampleNotFound => EngineError::NotFound(Resource::Sample),
        C::SampleItemNotFound => EngineError::NotFound(Resource::SampleItem),
        C::UserNotFound => EngineError::NotFound(Resource::User),
        C::RoleNotFound => EngineError::NotFound(Resource::Role),
        C::RoleAssignmentNotFound => EngineError::NotFound(Resource::RoleAssignment),
        C::TokenNotFound => EngineError::NotFound(Resource::Token),
        C::PasskeyNotFound => EngineError::NotFound(Resource::Passkey),
        C::SessionNotFound => EngineError::NotFound(Resource::Session),
        C::EnrolmentLinkNotFound => EngineError::NotFound(Resource::EnrolmentLink),
        C::RecordNotFound => EngineError::NotFound(Resource::Record),
        C::LogicalTableNotFound => EngineError::NotFound(Resource::LogicalTable),
        C::ColumnNotFound => EngineError::NotFound(Resource::Column),
        C::PropertyNotFound => EngineError::NotFound(Resource::Property),
        C::ConstraintNotFound => EngineError::NotFound(Resource::Constraint),
        C::RowNotFound => EngineError::NotFound(Resource::Row),
        C::GrantNotFound => EngineError::NotFound(Resource::Grant),
        C::ReportNotFound => EngineError::NotFound(Resource::Report),
        C::LinkNotFound => EngineError::NotFound(Resource::ReportLink),
        C::ReportSpecInvalid => R::SpecInvalid { path: "aggregates[0].field".into(), message: "sum needs a field".into() }.into(),
        C::ReportFieldMasked => R::FieldMasked("iban".into()).into(),
        C::ReportParameterInvalid => R::ParameterInvalid { parameter: "region".into(), message: "this link fixes it".into() }.into(),
        C::ReportVersionInvalid => R::VersionUnknown(7).into(),
        C::ReportTimedOut => R::TimedOut { secs: 15 }.into(),
        C::LinkPasswordRequired => R::PasswordRequired.into(),
        C::EtlSourceNotFound => EngineError::NotFound(Resource::EtlSource),
        C::EtlRunNotFound => EngineError::NotFound(Resource::EtlRun),
        C::EventUserNotFound => EngineError::NotFound(Resource::EventUser),
        C::ExampleNotFound => EngineError::NotFound(Resource::Example),
        C::DatabaseUnavailable => EngineError::DatabaseUnavailable("connection refused".into()),
        C::StorageFull => EngineError::StorageFull,
        C::SessionsUnavailable => EngineError::SessionsUnavailable("redis: timed out".into()),
        C::EtlSourceInvalid => T::SourceInvalid { path: "fields.date".into(), message: "this field is required".into() }.into(),
        C::EtlSourceVersionConflict => T::SourceVersionConflict { current: 3 }.into(),
        C::EtlRunActive => T::RunActive.into(),
        C::EtlTableConflict => T::TableConflict { table: "ads_performance".into(), message: "cost is masked".into() }.into(),
        C::EtlSinkNotConfigured => T::SinkNotConfigured.into(),
        C::EtlSinkFailed => T::SinkFailed { status: 500, message: "down".into() }.into(),
        C::EventsBodyInvalid => T::EventsInvalid("the body is not a JSON array of records".into()).into(),
        C::EventsUnavailable => T::EventsUnavailable.into(),
        C::MigrationConfigurationNotFound => EngineError::NotFound(Resource::MigrationConfiguration),
        C::MigrationJobNotFound => EngineError::NotFound(Resource::MigrationJob),
        C::MappingInvalid => D::MappingInvalid { field: "mappings[2].price".into(), message: "'format' must be 1 to 100 characters".into() }.into(),
        C::MigrationSourceMissing => D::SourceMissing.into(),
        C::TooManyMigrations => D::TooManyMigrations { limit: 10 }.into(),
        C::MigrationConfigurationExists => Conflict::MigrationConfigurationExists("ERP items".into()).into(),
        C::MigrationConfigurationVersionConflict => Conflict::MigrationConfigurationVersionConflict { sent: 2, current: 3 }.into(),
        C::MigrationJobActive => Conflict::MigrationJobActive.into(),
        C::MigrationRolledBack => Conflict::MigrationRolledBack.into(),
        C::MigrationRollbackConflict => Conflict::MigrationRollbackConflict { rows: 4 }.into(),
        C::ValueInvalid => D::ValueInvalid { column: "price".into(), message: "expected a number".into() }.into(),
        C::ValueRequired => D::ValueRequired { column: "price".into() }.into(),
        C::RuleViolated => D::RuleViolated { column: "sku".into(), rule: RuleType::Regex, message: "does not match the pattern ^SKU-\\d+$".into() }.into(),
        C::UniqueViolated => D::UniqueViolated { constraint: "email_ci".into(), columns: vec!["email".into()] }.into(),
        C::ReferenceMissing => D::ReferenceMissing { column: "supplier".into(), row_id: id.to_string() }.into(),
        C::CheckFailed => D::CheckFailed { constraint: "margin".into(), message: "El precio debe superar el coste".into() }.into(),
        C::ParentInvalid => D::ParentInvalid("this parent is the row itself or one of its descendants (a cycle)".into()).into(),
        C::FieldUnknown => D::FieldUnknown("colour".into()).into(),
        C::ExpressionInvalid => D::ExpressionInvalid { message: "expected )".into(), position: 12 }.into(),
        C::LogicalTableExists => D::LogicalTableExists("PRODUCTS".into()).into(),
        C::ColumnExists => D::ColumnExists("price".into()).into(),
        C::PropertyExists => D::PropertyExists.into(),
        C::ConstraintExists => D::ConstraintExists("email_ci".into()).into(),
        C::SchemaInUse => D::SchemaInUse("the tables ORDERS use this column; unbind it first".into()).into(),
        C::SchemaVersionConflict => D::SchemaVersionConflict { sent: 3, current: 4 }.into(),
        C::RowVersionConflict => D::RowVersionConflict { sent: 1, current: Box::new(current_row()) }.into(),
        C::RowsViolateRule => D::RowsViolateRule {
            rule: "price: mandatory".into(),
            count: 22,
            examples: vec![engine::eav::ViolatingRow { row_id: id, code: "I03".into(), value: serde_json::Value::Null }],
        }
        .into(),
        C::ColumnValuesNotConvertible => D::ValuesNotConvertible {
            column: "price".into(),
            to: "Int".into(),
            count: 2,
            examples: vec![engine::eav::ViolatingRow { row_id: id, code: "I07".into(), value: serde_json::Value::String("n/a".into()) }],
        }
        .into(),
        C::RowReferenced => D::RowReferenced { table: "ORDERS".into(), constraint: "orders_product".into(), count: 3 }.into(),
        C::UsernameTaken => Conflict::UsernameTaken("ana".into()).into(),
        C::AlreadySetUp => Conflict::AlreadySetUp.into(),
        C::DeactivateSelf => Conflict::DeactivateSelf.into(),
        C::SystemRole => Conflict::SystemRole("admin".into()).into(),
        C::LastAdmin => Conflict::LastAdmin.into(),
        C::PasskeyRegistered => Conflict::PasskeyRegistered.into(),
        C::LastSignInMethod => Conflict::LastSignInMethod.into(),
        C::RunActive => Conflict::RunActive.into(),
        C::RunComplete => Conflict::RunComplete.into(),
        C::RunNothingPending => Conflict::RunNothingPending.into(),
        C::RunWithoutResults => Conflict::RunWithoutResults.into(),
        C::ChunkStored => Conflict::ChunkStored { run: id, chunk: 3 }.into(),
        C::NoCorrections => Conflict::NoCorrections.into(),
        C::DatasetInUse => Conflict::DatasetInUse.into(),
        C::UploadInProgress => Conflict::UploadInProgress.into(),
        C::UploadInUse => Conflict::UploadInUse { datasets: 2 }.into(),
        C::Cancelled => EngineError::Cancelled,
        C::UploadTooLarge => EngineError::UploadTooLarge { limit: 1 << 30 },
        C::BodyTooLarge => EngineError::BodyTooLarge { limit: 1 << 20 },
        C::TooManyAttempts => EngineError::TooManyAttempts { retry_after_secs: 300 },
        C::RateLimited => EngineError::RateLimited { retry_after_secs: 20 },
        C::Internal => EngineError::internal("database: connection refused"),
        C::Network => return None,
    })
}

/// The current row a version conflict answers with.
fn current_row() -> engine::eav::RowData {
    let at = chrono::DateTime::from_timestamp(1_733_300_000, 0).unwrap_or_default();
    engine::eav::RowData {
        id: uuid::Uuid::nil(),
        code: "PROD-001".into(),
        display_value: Some("Test Product".into()),
        is_active: true,
        sort_order: 0,
        parent_row_id: None,
        version: 2,
        column_values: json!({"price": 31.5}).as_object().cloned().unwrap_or_default(),
        extended_properties: Default::default(),
        created_at: at,
        updated_at: at,
        warnings: vec![],
    }
}

#[test]
fn every_code_has_its_status_and_one_json_shape() {
    let mut seen = std::collections::HashSet::new();
    let contract: Vec<serde_json::Value> = ErrorCode::ALL
        .iter()
        .map(|&code| {
            assert!(seen.insert(code.as_str()), "{} is listed twice", code.as_str());
            // The name clients match on is the one serde writes and reads.
            assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
            assert_eq!(serde_json::from_value::<ErrorCode>(json!(code.as_str())).unwrap(), code);
            let body = match example(code) {
                Some(e) => {
                    assert_eq!(e.code(), code, "the example of {} raises another code", code.as_str());
                    e.to_body(Some("7f9c1c3e-request"))
                }
                None => ErrorBody::new(code, "the server could not be reached"),
            };
            json!({ "status": code.http_status(), "body": { "error": body } })
        })
        .collect();
    insta::assert_json_snapshot!("error_contract", contract);
}

#[test]
fn an_internal_error_shows_the_request_id_and_never_its_cause() {
    let body = EngineError::internal("database: password authentication failed for user dgs").to_body(Some("req-42"));
    let text = serde_json::to_string(&body).unwrap();
    assert!(!text.contains("password authentication"), "{text}");
    assert_eq!(body.request_id(), Some("req-42"));
}
