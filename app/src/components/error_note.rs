//! What a failed call says to the user, in the user's language. The match is exhaustive over the
//! engine's codes (and both languages), so a new code without a text does not build.

use engine::{ErrorBody, ErrorCode as C};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::AppError;
use crate::i18n::{Key, Locale, tr, use_locale};

/// How the engine's message is used after the translated text.
#[derive(Clone, Copy, PartialEq)]
enum Detail {
    /// The translated text says it all.
    None,
    /// The message names what went wrong (which value, which file): it follows the text.
    Message,
    /// An internal error: the request id to quote follows the text.
    RequestId,
    /// A file's problem: the file's name and the reason, in the reader's language where it is coded.
    File,
    /// A value out of range: the field and the range follow the text.
    Range,
}

/// (Spanish, English, what follows).
fn text(code: C) -> (&'static str, &'static str, Detail) {
    use Detail::*;
    match code {
        C::InvalidInput => ("Revisa lo que has enviado:", "Please check what you sent:", Message),
        C::UnreadableFile => ("No se puede leer el archivo", "The file cannot be read", File),
        C::RefusedFile => ("El archivo fue rechazado", "The file was refused", File),
        C::MalformedRequest => ("La solicitud no se pudo leer:", "The request could not be read:", Message),
        C::Unauthenticated => ("Tu sesión ha caducado. Entra de nuevo.", "Your session has ended. Please sign in again.", None),
        C::BadCredentials => ("Usuario o contraseña incorrectos.", "Wrong username or password.", None),
        C::Forbidden => ("No tienes permiso para hacer esto.", "You do not have permission to do this.", None),
        C::ForbiddenOrigin => (
            "Por seguridad, los cambios solo se aceptan desde las páginas de este sitio.",
            "For safety, changes are only accepted from this site's own pages.",
            None,
        ),
        C::OutOfRange => ("Un valor está fuera de rango:", "A value is out of range:", Range),
        C::UsernameInvalid => (
            "Un nombre de usuario tiene de 3 a 64 letras, cifras, puntos, guiones, guiones bajos o @.",
            "A username has 3 to 64 letters, digits, dots, dashes, underscores or @.",
            None,
        ),
        C::PasswordTooShort => ("La contraseña necesita al menos 10 caracteres.", "A password needs at least 10 characters.", None),
        C::PasswordTooLong => ("La contraseña admite como mucho 256 caracteres.", "A password has at most 256 characters.", None),
        C::PasswordIsUsername => ("La contraseña no puede ser el nombre de usuario.", "The password cannot be the username.", None),
        C::PasswordTooWeak => (
            "Esta contraseña es demasiado fácil de adivinar: usa una frase de varias palabras.",
            "This password is too easy to guess: use a phrase of several words.",
            None,
        ),
        C::CurrentPasswordWrong => ("La contraseña actual no es correcta.", "The current password is wrong.", None),
        C::PasskeyRejected => ("La llave de acceso no fue aceptada.", "The passkey was not accepted.", None),
        C::PasskeyNotStarted => ("No hay ninguna solicitud de llave de acceso en curso: empieza de nuevo.", "No passkey request is in progress: start again.", None),
        C::PasskeyForeign => ("Esta solicitud de llave de acceso la empezó otra cuenta: empieza de nuevo.", "This passkey request was started by another account: start again.", None),
        C::PasskeyExpired => ("La solicitud de llave de acceso caducó: empieza de nuevo.", "The passkey request expired: start again.", None),
        C::PromptNotYours => (
            "Este prompt es de otra persona: duplícalo como tuyo para cambiarlo.",
            "This prompt belongs to someone else: duplicate it as your own to change it.",
            None,
        ),
        C::ReauthenticationRequired => (
            "Por seguridad, vuelve a iniciar sesión para hacer esto (tu inicio de sesión tiene más de 10 minutos).",
            "For safety, sign in again to do this (your sign-in is older than 10 minutes).",
            None,
        ),
        C::PasswordChangeRequired => ("Elige una contraseña nueva antes de continuar.", "Choose a new password before going on.", None),
        C::UploadNotFound => ("Esta subida no existe o no puedes verla.", "This upload does not exist, or you cannot see it.", None),
        C::TableNotFound => ("Esta tabla no forma parte de la subida.", "This table is not part of the upload.", None),
        C::DatasetNotFound => ("Este conjunto de datos no existe o no puedes verlo.", "This dataset does not exist, or you cannot see it.", None),
        C::ShareNotFound => ("Este conjunto de datos no está compartido con esa persona.", "This dataset is not shared with that person.", None),
        C::PromptNotFound => ("Este prompt no existe o no puedes verlo.", "This prompt does not exist, or you cannot see it.", None),
        C::PromptVersionNotFound => ("Esta versión del prompt no existe o no puedes verla.", "This prompt version does not exist, or you cannot see it.", None),
        C::RunNotFound => ("Esta ejecución no existe o no puedes verla.", "This run does not exist, or you cannot see it.", None),
        C::SampleNotFound => ("Esta muestra no existe o no puedes verla.", "This sample does not exist, or you cannot see it.", None),
        C::SampleItemNotFound => ("Esta línea no forma parte de la muestra.", "This line is not part of the sample.", None),
        C::UserNotFound => ("Ese usuario no existe.", "That user does not exist.", None),
        C::RoleNotFound => ("Ese rol no existe.", "That role does not exist.", None),
        C::RoleAssignmentNotFound => ("Ese usuario no tiene ese rol.", "That user does not hold that role.", None),
        C::TokenNotFound => ("Ese token no existe o ya fue revocado.", "That token does not exist or was already revoked.", None),
        C::PasskeyNotFound => ("Esa llave de acceso no está registrada.", "That passkey is not registered.", None),
        C::SessionNotFound => ("Esa sesión ya terminó.", "That session has already ended.", None),
        C::EnrolmentLinkNotFound => (
            "Este enlace de alta ya se usó o ha caducado. Pide uno nuevo a un administrador.",
            "This enrolment link was already used or has expired. Ask an administrator for a new one.",
            None,
        ),
        C::RecordNotFound => ("No se encontró lo que buscas.", "What you are looking for was not found.", None),
        C::LogicalTableNotFound => ("Esa tabla gobernada no existe.", "That governed table does not exist.", None),
        C::ColumnNotFound => ("Esa columna no está definida.", "That column is not defined.", None),
        C::PropertyNotFound => ("Esa columna no forma parte de la tabla.", "That column is not part of the table.", None),
        C::ConstraintNotFound => ("Esa restricción no existe.", "That constraint does not exist.", None),
        C::RowNotFound => ("Esa fila no existe (quizá la borró otra persona).", "That row does not exist (someone may have deleted it).", None),
        C::GrantNotFound => ("Ese rol no tiene ese permiso sobre la tabla.", "That role does not hold that permission on the table.", None),
        C::ReportNotFound => ("Ese informe no existe.", "That report does not exist.", None),
        C::LinkNotFound => (
            "Este enlace no existe, ha caducado o se ha revocado. Pide uno nuevo a quien te lo envió.",
            "This link does not exist, has expired or was revoked. Ask whoever sent it for a new one.",
            None,
        ),
        C::ReportSpecInvalid => ("El informe no se puede construir así:", "The report cannot be built like this:", Message),
        C::ReportFieldMasked => ("Esa columna está enmascarada; un informe no puede usarla:", "That column is masked; a report cannot use it:", Message),
        C::ReportParameterInvalid => ("Un parámetro no sirve:", "A parameter cannot be used:", Message),
        C::ReportVersionInvalid => ("El informe no tiene esa versión.", "The report has no such version.", None),
        C::ReportTimedOut => (
            "El informe tardó demasiado; filtra más o agrupa por menos valores.",
            "The report took too long; filter more or group by fewer values.",
            None,
        ),
        C::LinkPasswordRequired => ("Este enlace está protegido: escribe su contraseña.", "This link is protected: enter its password.", None),
        C::EtlSourceNotFound => ("Esa fuente de marketing no existe.", "That marketing source does not exist.", None),
        C::EtlRunNotFound => ("Esa ejecución de marketing no existe.", "That marketing run does not exist.", None),
        C::EventUserNotFound => ("No hay eventos de ese usuario.", "There are no events for that user.", None),
        C::SessionsUnavailable => (
            "El inicio de sesión no está disponible un momento (el almacén de sesiones no responde). Inténtalo de nuevo en unos segundos.",
            "Sign-in is unavailable for a moment (the session store does not answer). Try again in a few seconds.",
            None,
        ),
        C::StorageFull => (
            "El disco del servidor está lleno: no se ha guardado nada. Vuelve a intentarlo cuando se haya liberado espacio.",
            "The server's disk is full: nothing was stored. Try again once space has been freed.",
            None,
        ),
        C::DatabaseUnavailable => (
            "La base de datos no responde ahora mismo. No se ha perdido nada; inténtalo de nuevo en unos segundos.",
            "The database is not answering right now. Nothing was lost; try again in a few seconds.",
            None,
        ),
        C::ExampleNotFound => ("Ese ejemplo ya no existe o no es de este prompt.", "That example no longer exists or is not this prompt's.", None),
        C::EtlSourceInvalid => ("La fuente no se puede guardar así:", "The source cannot be saved like this:", Message),
        C::EtlSourceVersionConflict => (
            "Otra persona cambió esta fuente mientras la editabas; vuelve a cargarla.",
            "Someone else changed this source while you were editing it; reload it.",
            None,
        ),
        C::EtlRunActive => ("Esta fuente ya tiene una ejecución en espera o en curso.", "This source already has a run waiting or under way.", None),
        C::EtlTableConflict => ("La tabla de destino no admite los datos de marketing:", "The target table cannot take marketing data:", Message),
        C::EtlSinkNotConfigured => (
            "No hay destino de exportación: configura SINK_URL y SINK_SECRET.",
            "There is no export destination: set SINK_URL and SINK_SECRET.",
            None,
        ),
        C::EtlSinkFailed => ("El destino de la exportación la rechazó:", "The export destination refused it:", Message),
        C::EventsBodyInvalid => ("No se pueden leer los eventos enviados:", "The events sent cannot be read:", Message),
        C::EventsUnavailable => (
            "El servidor no acepta eventos ahora mismo (se está deteniendo); vuelve a enviarlos en unos segundos.",
            "The server is not taking events right now (it is stopping); send them again in a few seconds.",
            None,
        ),
        C::MigrationConfigurationNotFound => ("Esa configuración de importación no existe.", "That import configuration does not exist.", None),
        C::MigrationJobNotFound => ("Esa importación no existe.", "That import does not exist.", None),
        C::MappingInvalid => ("Un mapeo de campos no sirve:", "A field mapping cannot be used:", Message),
        C::MigrationSourceMissing => (
            "Indica qué importar: registros, un archivo, un conjunto de datos o una ejecución.",
            "Say what to import: records, a file, a dataset or a run.",
            None,
        ),
        C::TooManyMigrations => (
            "Hay demasiadas importaciones en curso; inténtalo cuando termine alguna.",
            "Too many imports are waiting or running; try again when one has finished.",
            None,
        ),
        C::MigrationConfigurationExists => ("Ya existe una configuración con ese nombre.", "A configuration with that name exists already.", None),
        C::MigrationConfigurationVersionConflict => (
            "Alguien cambió esta configuración mientras la editabas; vuelve a cargarla.",
            "Someone changed this configuration while you were editing it; reload it.",
            None,
        ),
        C::MigrationJobActive => ("Hay una importación en curso; espera a que termine.", "An import is still running; wait for it to finish.", None),
        C::MigrationRolledBack => ("Esta importación ya se deshizo.", "This import was rolled back already.", None),
        C::MigrationRollbackConflict => (
            "Algunas filas importadas cambiaron después; no se deshizo nada:",
            "Some imported rows changed since; nothing was rolled back:",
            Message,
        ),
        C::ValueInvalid => ("Un valor no es del tipo de su columna:", "A value is not of its column's type:", Message),
        C::ValueRequired => ("Falta un valor obligatorio:", "A mandatory value is missing:", Message),
        C::RuleViolated => ("Un valor no cumple la regla de su columna:", "A value breaks its column's rule:", Message),
        C::UniqueViolated => ("Ese valor ya lo tiene otra fila:", "Another row already has that value:", Message),
        C::ReferenceMissing => ("La fila a la que apunta no existe:", "The row it points at does not exist:", Message),
        C::CheckFailed => ("La fila no cumple una comprobación:", "The row breaks a check:", Message),
        C::ParentInvalid => ("Ese padre no sirve:", "That parent cannot be used:", Message),
        C::FieldUnknown => ("Ese campo no existe en la tabla:", "That field does not exist in the table:", Message),
        C::ExpressionInvalid => ("La expresión no es válida:", "The expression is not valid:", Message),
        C::LogicalTableExists => ("Ya existe una tabla con ese nombre.", "A table with that name exists already.", None),
        C::ColumnExists => ("Ya existe una columna con ese nombre.", "A column with that name exists already.", None),
        C::PropertyExists => ("Esa columna ya forma parte de la tabla.", "That column is part of the table already.", None),
        C::ConstraintExists => ("Ya existe una restricción con ese nombre en la tabla.", "A constraint with that name exists on the table already.", None),
        C::SchemaInUse => ("Otras partes del esquema dependen de esto:", "Other parts of the schema depend on this:", Message),
        C::SchemaVersionConflict => (
            "Alguien cambió el esquema mientras lo editabas; vuelve a cargarlo.",
            "Someone changed the schema while you were editing it; reload it.",
            None,
        ),
        C::RowVersionConflict => (
            "Alguien cambió esta fila mientras la editabas; vuelve a cargarla o sobrescríbela.",
            "Someone changed this row while you were editing it; reload it or overwrite it.",
            None,
        ),
        C::RowsViolateRule => ("Hay filas que ya incumplen esta regla:", "Existing rows already break this rule:", Message),
        C::ColumnValuesNotConvertible => (
            "Hay valores guardados que no caben en el tipo nuevo; cámbialos antes:",
            "Some stored values do not fit the new type; change them first:",
            Message,
        ),
        C::RowReferenced => ("Otras filas apuntan a esta:", "Other rows point at this one:", Message),
        C::UsernameTaken => ("Ese nombre de usuario ya existe. Elige otro.", "That username is taken. Choose another.", None),
        C::AlreadySetUp => ("El primer administrador ya existe; inicia sesión.", "The first administrator already exists; sign in instead.", None),
        C::DeactivateSelf => ("No puedes desactivar tu propia cuenta.", "You cannot deactivate your own account.", None),
        C::SystemRole => (
            "Es un rol del sistema: sus permisos son fijos y no se puede borrar.",
            "This is a system role: its permissions are fixed and it cannot be deleted.",
            None,
        ),
        C::LastAdmin => (
            "Es el último administrador permanente; haz administrador a otra persona primero.",
            "This is the last permanent administrator; make someone else admin first.",
            None,
        ),
        C::PasskeyRegistered => ("Esta llave de acceso ya está registrada.", "This passkey is already registered.", None),
        C::LastSignInMethod => (
            "Es tu única forma de entrar; añade otra llave de acceso o una contraseña primero.",
            "This is your only way to sign in; add another passkey or a password first.",
            None,
        ),
        C::RunActive => ("La ejecución sigue en marcha; espera a que termine o cancélala.", "The run is still going; wait for it to finish or cancel it.", None),
        C::RunComplete => ("Todas las líneas de esta ejecución ya tienen resultado.", "Every line of this run already has a result.", None),
        C::RunNothingPending => (
            "No queda nada pendiente: reintenta los bloques fallidos.",
            "Nothing is left to do: retry the failed chunks instead.",
            None,
        ),
        C::RunWithoutResults => ("La ejecución no tiene resultados que muestrear.", "The run has no results to sample.", None),
        C::ChunkStored => ("Ese bloque de la ejecución ya estaba guardado.", "That chunk of the run was already stored.", None),
        C::NoCorrections => (
            "Aún no has marcado ninguna línea como incorrecta, así que no hay ejemplos que añadir.",
            "No line was marked incorrect yet, so there is no example to add.",
            None,
        ),
        C::DatasetInUse => (
            "Hay una clasificación de este conjunto de datos en marcha; cancélala primero.",
            "A classification of this dataset is still running; cancel it first.",
            None,
        ),
        C::UploadInProgress => ("La subida aún se está leyendo; espera a que termine.", "The upload is still being read; wait for it to finish.", None),
        C::UploadInUse => (
            "Hay conjuntos de datos construidos a partir de esta subida; bórralos primero.",
            "Datasets are built from this upload; delete them first.",
            None,
        ),
        C::Cancelled => ("El trabajo se canceló.", "The work was cancelled.", None),
        C::UploadTooLarge => ("El archivo supera el tamaño máximo permitido.", "The file is larger than the largest upload allowed.", None),
        C::BodyTooLarge => ("La solicitud es demasiado grande.", "The request is too large.", None),
        C::TooManyAttempts => (
            "Demasiados intentos fallidos con este usuario. Espera unos minutos y vuelve a intentarlo.",
            "Too many failed sign-ins for this name. Wait a few minutes and try again.",
            None,
        ),
        C::RateLimited => ("Demasiadas solicitudes desde esta dirección. Espera un momento.", "Too many requests from this address. Wait a moment.", None),
        C::Internal => ("Algo falló en el servidor. Cita este identificador:", "Something failed on the server. Quote this id:", RequestId),
        C::Network => ("No se pudo contactar con el servidor.", "The server could not be reached.", None),
    }
}

/// A field's name as its form calls it.
fn field_label(field: &str, l: Locale) -> &str {
    let (es, en) = match field {
        "model_name" => ("nombre del modelo (caracteres)", "model name (characters)"),
        "chunk_size" => ("tamaño del bloque", "chunk size"),
        "concurrency" => ("llamadas a la vez", "concurrency"),
        "temperature" => ("temperatura", "temperature"),
        "max_retries" => ("reintentos máximos", "max retries"),
        "timeout_secs" => ("tiempo de espera (s)", "timeout (s)"),
        "price" => ("precio por 1000 tokens", "price per 1,000 tokens"),
        "confidence" => ("nivel de confianza", "confidence level"),
        "margin" => ("margen de error", "margin of error"),
        "min_per_category" => ("mínimo por categoría", "minimum per category"),
        "size" => ("tamaño de la muestra", "sample size"),
        "few_shot" => ("ejemplos por llamada", "examples per call"),
        "few_shot_tokens" => ("tokens de ejemplos por llamada", "example tokens per call"),
        other => (other, other),
    };
    match l {
        Locale::Es => es,
        Locale::En => en,
    }
}

/// The user's-language text of an error.
pub fn error_text(l: Locale, e: &ErrorBody) -> String {
    let (es, en, detail) = text(e.code);
    let lead = match l {
        Locale::Es => es,
        Locale::En => en,
    };
    match detail {
        Detail::Message if !e.message.is_empty() => format!("{lead} {}", e.message),
        Detail::RequestId => format!("{lead} {}", e.request_id().unwrap_or("-")),
        Detail::Range => {
            let field = e.details.get("field").and_then(|v| v.as_str()).unwrap_or_default();
            let number = |k: &str| e.details.get(k).and_then(|v| v.as_f64()).map(|x| crate::format::fmt_number_in(x, if x.fract() == 0.0 { 0 } else { 3 }, l));
            let (min, max) = (number("min").unwrap_or_default(), number("max").unwrap_or_default());
            match l {
                Locale::Es => format!("{lead} «{}» va de {min} a {max}.", field_label(field, l)),
                Locale::En => format!("{lead} “{}” goes from {min} to {max}.", field_label(field, l)),
            }
        }
        Detail::File => {
            let field = |k: &str| e.details.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            let reason = engine::ingest::notes::note_text(&field("reason"), l.into());
            format!("{lead} «{}»: {reason}", field("file"))
        }
        _ => lead.to_string(),
    }
}

/// A translated explanation of a failed call.
#[component]
pub fn ErrorNote(error: AppError) -> impl IntoView {
    let locale = use_locale();
    let code = error.code();
    let signed_out = matches!(code, C::Unauthenticated | C::ReauthenticationRequired);
    let text = move || error_text(locale.get(), &error.0);
    view! {
        <p class="note note-error" role="alert" data-code=code.as_str()>
            {text}
            {signed_out.then(|| {
                // Back here after signing in (again), e.g. for a change that needs a fresh sign-in.
                let here = leptos_router::hooks::use_location();
                let href = move || format!("/login?next={}", here.pathname.get());
                view! { " " <A href=href>{tr(Key::SignIn)}</A> }
            })}
        </p>
    }
}
