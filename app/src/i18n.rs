//! Spanish and English. Keys are an enum and every key is matched for both languages, so a missing
//! translation is a compile error rather than a blank on screen. The chosen locale lives in a cookie
//! so the server renders the same language the browser hydrates.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Locale {
    #[default]
    Es,
    En,
}

pub const LOCALE_COOKIE: &str = "dgs_locale";

impl Locale {
    pub fn code(self) -> &'static str {
        match self {
            Locale::Es => "es",
            Locale::En => "en",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        match s.trim() {
            "es" => Some(Locale::Es),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The locale named in a `Cookie:` header value, if any.
    pub fn from_cookie_header(header: &str) -> Option<Self> {
        header
            .split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == LOCALE_COOKIE)
            .and_then(|(_, v)| Locale::from_code(v))
    }
}

impl From<Locale> for engine::Lang {
    fn from(l: Locale) -> Self {
        match l {
            Locale::Es => engine::Lang::Es,
            Locale::En => engine::Lang::En,
        }
    }
}

/// The current locale, provided at the root of the app.
pub fn use_locale() -> RwSignal<Locale> {
    use_context::<RwSignal<Locale>>().unwrap_or_else(|| RwSignal::new(Locale::default()))
}

/// A reactive translation: re-renders when the locale changes.
pub fn tr(key: Key) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let locale = use_locale();
    move || t(locale.get(), key)
}

macro_rules! keys {
    ($($key:ident => $es:literal, $en:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Key { $($key),* }
        pub fn t(locale: Locale, key: Key) -> &'static str {
            match (key, locale) {
                $((Key::$key, Locale::Es) => $es, (Key::$key, Locale::En) => $en,)*
            }
        }
    };
}

keys! {
    AppName => "Gobierno de datos", "Data Governance";
    NavDatasets => "Conjuntos de datos", "Datasets";
    NavPrompts => "Prompts", "Prompts";
    NavReviews => "Revisiones", "Reviews";
    NavTables => "Tablas", "Tables";
    NavReports => "Informes", "Reports";
    NavAdmin => "Administración", "Admin";
    ApiDocs => "API", "API";
    SkipToContent => "Saltar al contenido", "Skip to content";
    Language => "Idioma", "Language";
    SignIn => "Entrar", "Sign in";
    SignOut => "Salir", "Sign out";
    SigningIn => "Entrando…", "Signing in…";
    Username => "Usuario", "Username";
    Password => "Contraseña", "Password";
    PasswordHint => "Al menos 10 caracteres.", "At least 10 characters.";
    PasswordTooShort => "La contraseña es demasiado corta (faltan {n} caracteres).", "The password is too short ({n} more characters).";
    PasswordOk => "Longitud correcta.", "Length is fine.";
    SignInTitle => "Entra en tu cuenta", "Sign in to your account";
    SetupTitle => "Crea la primera cuenta de administrador", "Create the first administrator";
    SetupIntro => "Aún no hay usuarios. Esta cuenta podrá crear las demás.", "There are no users yet. This account can create the others.";
    SetupDone => "Ya existe un administrador; esta página ya no crea cuentas.", "An administrator already exists; this page no longer creates accounts.";
    SetupSubmit => "Crear administrador", "Create administrator";
    Loading => "Cargando…", "Loading…";
    Role => "Rol", "Role";
    UploadTitle => "Subir un archivo", "Upload a file";
    UploadHelp => "CSV, TSV, Excel (xlsx, xls), OpenDocument (ods), JSON, JSON Lines o un ZIP con varios. Detectamos separador, codificación, cabecera y tipos.", "CSV, TSV, Excel (xlsx, xls), OpenDocument (ods), JSON, JSON Lines or a ZIP of several. Delimiter, encoding, header row and types are detected.";
    ChooseFile => "Elegir archivo", "Choose file";
    DropHere => "Suelta aquí el archivo o elígelo", "Drop the file here or choose it";
    Upload => "Subir", "Upload";
    Uploading => "Subiendo…", "Uploading…";
    Processing => "Leyendo el archivo…", "Reading the file…";
    StepUpload => "1. Subir", "1. Upload";
    StepReview => "2. Revisar tablas", "2. Review tables";
    StepClean => "3. Limpiar y deduplicar", "3. Clean and de-duplicate";
    StepConfirm => "4. Confirmar", "4. Confirm";
    StepColumn => "2. Columna", "2. Column";
    StepRun => "3. Clasificar", "3. Classify";
    RowsRead => "leídas", "read";
    Stored => "guardadas", "stored";
    Rejected => "rechazadas", "rejected";
    Keep => "Usar esta tabla", "Use this table";
    Skipped => "Entradas omitidas", "Skipped entries";
    FailedFiles => "Archivos que no se pudieron leer", "Files that could not be read";
    Warnings => "Avisos", "Warnings";
    ShowPreview => "Ver las primeras filas", "Show the first rows";
    ShowRejected => "Ver filas rechazadas y motivos", "Show rejected rows and reasons";
    TypeOf => "Tipo", "Type";
    Evidence => "Valores vistos", "Values seen";
    Back => "Atrás", "Back";
    ChooseTables => "Elige al menos una tabla.", "Choose at least one table.";
    ChooseDescription => "Elige al menos una columna de descripción.", "Choose at least one description column.";
    DescriptionColumns => "Columnas de descripción", "Description columns";
    Cleaning => "Limpieza", "Cleaning";
    OptLowercase => "Minúsculas", "Lower-case";
    OptAccents => "Quitar acentos", "Strip accents";
    OptPunctuation => "Quitar puntuación", "Strip punctuation";
    OptNoise => "Quitar ruido (números de factura, fechas, importes)", "Strip noise (invoice numbers, dates, amounts)";
    Dedup => "Deduplicación", "De-duplication";
    DedupExact => "Texto exacto", "Exact text";
    DedupCleaned => "Texto limpio (recomendado)", "Cleaned text (recommended)";
    DedupKeys => "Columnas clave", "Key columns";
    KeyColumns => "Columnas clave", "Key columns";
    LivePreview => "Vista previa de la limpieza", "Cleaning preview";
    Original => "Original", "Original";
    CleanValue => "Limpio", "Cleaned";
    SampleUnique => "líneas únicas en la muestra de", "unique lines in the sample of";
    DatasetName => "Nombre del conjunto", "Dataset name";
    TablesKept => "Tablas", "Tables";
    TablesCount => "tabla(s)", "table(s)";
    RecentUploads => "Subidas recientes", "Recent uploads";
    NewPrompt => "Nuevo prompt", "New prompt";
    EditPrompt => "Editar prompt", "Edit prompt";
    Template => "Plantilla", "Template";
    Categories => "Categorías", "Categories";
    AddCategory => "Añadir categoría", "Add category";
    Description => "Descripción", "Description";
    AddKeyword => "palabra clave + Intro", "keyword + Enter";
    ShareWithTeam => "Compartir con el equipo", "Share with the team";
    SaveVersion => "Guardar como nueva versión", "Save as a new version";
    SavedVersion => "Guardada la versión", "Saved version";
    Duplicate => "Duplicar", "Duplicate";
    MakeDefault => "Hacer predeterminado", "Make default";
    CompiledPrompt => "Prompt compilado (lo que lee el modelo)", "Compiled prompt (what the model reads)";
    History => "Historial de versiones", "Version history";
    DefaultBadge => "predeterminado", "default";
    SharedBadge => "compartido", "shared";
    Delete => "Eliminar", "Delete";
    ConfirmDeleteDataset => "¿Eliminar este conjunto de datos con sus clasificaciones? No se puede deshacer.", "Delete this dataset and its classifications? This cannot be undone.";
    ConfirmDeleteUpload => "¿Eliminar esta subida y sus filas? No se puede deshacer.", "Delete this upload and its rows? This cannot be undone.";
    TypeEmpty => "vacía", "empty";
    TypeBoolean => "sí/no", "boolean";
    TypeInteger => "entero", "integer";
    TypeDecimal => "decimal", "decimal";
    TypeDate => "fecha", "date";
    TypeDatetime => "fecha y hora", "date-time";
    TypeText => "texto", "text";
    Detected => "detectado", "detected";
    ForExample => "p. ej.", "e.g.";
    LineWord => "línea", "line";
    CreateDatasetOnly => "Crear conjunto de datos", "Create dataset";
    Classify => "Clasificar", "Classify";
    DuplicateGroups => "Grupos de duplicados", "Duplicate groups";
    DuplicateRows => "Filas duplicadas", "Duplicate rows";
    LargestGroups => "Grupos más grandes", "Largest groups";
    Search => "Buscar", "Search";
    SearchHint => "Texto en cualquier columna; Intro para buscar", "Text in any column; Enter to search";
    RowsOf => "filas de", "rows of";
    File => "Archivo", "File";
    Group => "Grupo", "Group";
    NoRows => "Ninguna fila coincide.", "No rows match.";
    RejectedRows => "Filas rechazadas", "Rejected rows";
    RowsStored => "filas leídas", "rows read";
    RowsRejected => "filas rechazadas", "rows rejected";
    Columns => "Columnas", "Columns";
    DescriptionColumn => "Columna de descripción", "Description column";
    DescriptionColumnHelp => "El texto que se limpia, se deduplica y se clasifica.", "The text that is cleaned, de-duplicated and classified.";
    CreateDataset => "Crear conjunto y clasificar", "Create dataset and classify";
    Next2 => "Continuar", "Continue";
    Working => "Trabajando…", "Working…";
    DatasetsTitle => "Conjuntos de datos", "Datasets";
    NoDatasets => "Todavía no hay conjuntos de datos. Sube un archivo para empezar.", "No datasets yet. Upload a file to begin.";
    Name => "Nombre", "Name";
    Rows => "Filas", "Rows";
    UniqueLines => "Líneas únicas", "Unique lines";
    Created => "Creado", "Created";
    Runs => "Ejecuciones", "Runs";
    Samples => "Muestras", "Samples";
    BackToDataset => "Volver al conjunto de datos", "Back to the dataset";
    BackToRun => "Volver a la clasificación", "Back to the run";
    Started => "Empezó", "Started";
    Finished => "Terminó", "Finished";
    LinesColumn => "Líneas", "Lines";
    NoRuns => "Este conjunto de datos aún no se ha clasificado.", "This dataset has not been classified yet.";
    NoRunSamples => "Aún no se ha sacado ninguna muestra de esta ejecución.", "No sample has been drawn from this run yet.";
    RunTitle => "Clasificación", "Classification";
    Status => "Estado", "Status";
    StatusQueued => "En cola", "Queued";
    StatusRunning => "En curso", "Running";
    StatusSucceeded => "Terminada", "Succeeded";
    StatusFailed => "Fallida", "Failed";
    StatusCancelled => "Cancelada", "Cancelled";
    LinesDone => "líneas clasificadas de", "lines classified of";
    Failed => "fallidas", "failed";
    Prompt => "Prompt", "Prompt";
    Cancel => "Cancelar", "Cancel";
    Results => "Resultados", "Results";
    Line => "Línea", "Line";
    Category => "Categoría", "Category";
    Score => "Confianza", "Score";
    Reason => "Motivo", "Reason";
    DownloadCsv => "Descargar CSV", "Download CSV";
    Distribution => "Distribución por categoría", "Distribution by category";
    Previous => "Anterior", "Previous";
    Next => "Siguiente", "Next";
    PageOf => "de", "of";
    ComingPrompts => "Aquí editarás tus prompts: plantilla, categorías, palabras clave y versiones.", "Here you will edit your prompts: template, categories, keywords and versions.";
    ReviewsHint => "Cada muestra que puedes ver, con lo revisado y la precisión hasta ahora. Continúa donde lo dejaste.", "Every sample you can see, with how much is reviewed and the accuracy so far. Pick up where you left off.";
    NoReviews => "Todavía no hay muestras. Abre una clasificación terminada y pulsa «Revisar una muestra».", "No samples yet. Open a finished run and choose “Review a sample”.";
    Dataset => "Conjunto de datos", "Dataset";
    ReviewProgress => "Revisadas", "Reviewed";
    IntervalShort => "IC", "CI";
    AccuracySoFar => "Precisión hasta ahora", "Accuracy so far";
    Open => "Abrir", "Open";
    NotFound => "Página no encontrada", "Page not found";
    BackHome => "Volver al inicio", "Back to the start";
    UniqueLinesLower => "líneas únicas", "unique lines";
    RowsLower => "filas", "rows";
    Provider => "Proveedor", "Provider";
    ProviderOffline => "Sin conexión (gratis, aprende de tus validaciones)", "Offline (free, learns from your validations)";
    ProviderOpenai => "Modelo compatible con OpenAI", "OpenAI-compatible model";
    ProviderOpenaiMissing => "No hay servidor de modelo configurado (OPENAI_BASE_URL / OPENAI_API_KEY).", "No model server is configured (OPENAI_BASE_URL / OPENAI_API_KEY).";
    Model => "Modelo", "Model";
    PromptVersion => "Versión del prompt", "Prompt version";
    PlanRerunTitle => "Reejecutar en la muestra: plan y coste", "Re-run on the sample: plan and cost";
    PlanApplyTitle => "Aplicar a todo el conjunto: plan y coste", "Apply to the whole dataset: plan and cost";
    Classifier => "Clasificador", "Classifier";
    SameAsSampledRun => "el mismo de la ejecución muestreada", "the same as the sampled run";
    ChangeSettings => "Cambiar el proveedor o el modelo", "Change the provider or the model";
    OtherClassifier => "Otro clasificador que la primera iteración: la comparación mezcla prompt y modelo", "A different classifier from the first iteration: the comparison mixes prompt and model";
    OfflineClassifier => "sin conexión", "offline";
    ChunkSize => "Líneas por llamada", "Lines per call";
    Concurrency => "Llamadas simultáneas", "Calls at once";
    Advanced => "Ajustes avanzados", "Advanced settings";
    Temperature => "Temperatura", "Temperature";
    MaxRetries => "Reintentos por bloque", "Retries per chunk";
    TimeoutSecs => "Tiempo máximo por llamada (s)", "Timeout per call (s)";
    PriceIn => "Precio por 1.000 tokens de entrada", "Price per 1,000 input tokens";
    PriceOut => "Precio por 1.000 tokens de salida", "Price per 1,000 output tokens";
    RequestsPerMinute => "Llamadas por minuto (0 = sin límite)", "Calls per minute (0 = no limit)";
    UseCache => "Reutilizar resultados ya pagados (caché)", "Reuse results already paid for (cache)";
    PlanTitle => "Plan antes de gastar", "Plan before spending";
    PlanCalls => "Llamadas", "Calls";
    PlanCached => "Líneas en caché", "Lines from cache";
    PlanSaved => "Filas ahorradas por deduplicación", "Rows saved by de-duplication";
    PlanTokens => "Tokens estimados (entrada / salida)", "Estimated tokens (in / out)";
    PlanCost => "Coste estimado", "Estimated cost";
    PlanRounds => "Rondas de llamadas", "Rounds of calls";
    FirstCall => "Ver la primera llamada exacta", "Show the exact first call";
    StartRun => "Empezar la clasificación", "Start classifying";
    Throughput => "líneas/s", "lines/s";
    Eta => "Quedan", "Left";
    InFlight => "En vuelo", "In flight";
    Tokens => "Tokens", "Tokens";
    Cost => "Coste", "Cost";
    Retries => "Reintentos", "Retries";
    Cached => "De caché", "From cache";
    Repaired => "Reparadas", "Repaired";
    Missing => "Sin resultado", "No result";
    Discarded => "Descartadas", "Discarded";
    Chunks => "Bloques", "Chunks";
    Resume => "Reanudar", "Resume";
    RetryFailed => "Reintentar bloques fallidos", "Retry failed chunks";
    DownloadXlsx => "Descargar XLSX", "Download XLSX";
    Failures => "Bloques fallidos", "Failed chunks";
    AllCategories => "Todas las categorías", "All categories";
    MinScore => "Confianza mínima", "Minimum score";
    MaxScore => "Confianza máxima", "Maximum score";
    Attempts => "intentos", "attempts";
    Compare => "Comparar con", "Compare with";
    DiffTitle => "Cambios entre versiones", "Changes between versions";
    NoChanges => "Sin cambios.", "No changes.";
    CategoriesAdded => "Añadidas", "Added";
    CategoriesRemoved => "Quitadas", "Removed";
    CategoriesChanged => "Modificadas", "Changed";
    Live => "En directo", "Live";
    ReviewTitle => "Revisión de una muestra", "Reviewing a sample";
    ReviewSample => "Revisar una muestra", "Review a sample";
    DrawNewSample => "Sacar una muestra nueva", "Draw a new sample";
    DrawSample => "Sacar la muestra", "Draw the sample";
    SampleSize => "Tamaño de la muestra", "Sample size";
    SizeByPrecision => "Por confianza y margen de error", "By confidence and margin of error";
    SizeFixed => "Un número fijo de líneas", "A fixed number of lines";
    Lines => "Líneas", "Lines";
    NotANumber => "Escribe un número en cada campo (el margen de error, entre 0 y 50 %).", "Type a number in each field (the margin of error between 0 and 50%).";
    ConfidenceLevel => "Nivel de confianza", "Confidence level";
    MarginPercent => "Margen de error (%)", "Margin of error (%)";
    OversampleLow => "Más líneas de puntuación baja", "More low-scoring lines";
    Reviewed => "revisadas", "reviewed";
    ReviewKeys => "Intro acepta · 1–9 elige la categoría correcta · S salta · U deshace · ←/→ mueven · / filtra categorías · N nota", "Enter accepts · 1–9 picks the right category · S skips · U undoes · ←/→ move · / filters categories · N note";
    VerdictCorrect => "Correcta", "Correct";
    VerdictIncorrect => "Incorrecta", "Incorrect";
    VerdictSkipped => "Saltadas", "Skipped";
    Accept => "Aceptar", "Accept";
    Skip => "Saltar", "Skip";
    Undo => "Deshacer", "Undo";
    TypeToFilter => "Escribe para filtrar categorías…", "Type to filter categories…";
    Note => "Nota", "Note";
    Metrics => "Métricas", "Metrics";
    Accuracy => "Precisión en la muestra", "Accuracy on the sample";
    WholeRunEstimate => "Estimación para toda la ejecución", "Estimate for the whole run";
    MostConfused => "Más confundidas", "Most confused";
    Support => "Soporte", "Support";
    Confusion => "Matriz de confusión", "Confusion matrix";
    TruthVsPredicted => "real ↓ / predicha →", "truth ↓ / predicted →";
    Iterations => "Iteraciones del prompt", "Prompt iterations";
    Refresh => "Actualizar", "Refresh";
    RerunOnSample => "Reejecutar en la muestra", "Re-run on the sample";
    ApplyToAll => "Aplicar a todo el conjunto", "Apply to the whole dataset";
    IterationsHint => "Edita el prompt, guarda una versión nueva y reejecútala aquí: se puntúa con los mismos veredictos.", "Edit the prompt, save a new version and re-run it here: it is scored on the same verdicts.";
    CompareTitle => "Comparar iteraciones", "Compare iterations";
    Corrections => "Correcciones", "Corrections";
    CorrectionsHint => "Líneas que el modelo falló, agrupadas por la categoría correcta: ajusta descripciones y palabras clave y guarda una versión nueva.", "Lines the model got wrong, grouped by the right category: adjust descriptions and keywords and save a new version.";
    BackToReview => "Volver a la revisión", "Back to the review";
    OpenPromptEditor => "Abrir el editor de prompts", "Open the prompt editor";
    AddAsExamples => "Guardar nueva versión con estas líneas como ejemplos", "Save a new version with these lines as examples";
    AddAsExamplesInCopy => "Duplicar como mi prompt y añadir los ejemplos", "Duplicate as my prompt and add the examples";
    NotYourPromptHint => "Este prompt es de otra persona: los ejemplos irán a una copia tuya, que podrás reejecutar aquí.", "This prompt belongs to someone else: the examples go into a copy of your own, which you can re-run here.";
    DefaultPromptWarning => "Este prompt es el predeterminado de todos: una versión nueva cambia lo que usa cada clasificación nueva. ¿Guardarla de todos modos?", "This prompt is everyone's default: a new version changes what every new classification uses. Save it anyway?";
    UploadFiles => "Subir archivos", "Upload files";
    UploadFirstFile => "Sube tu primer archivo", "Upload your first file";
    UploadAnother => "Subir otro archivo", "Upload another file";
    PointsShort => "pp", "pts";
    CsvSeparator => "Separador del CSV", "CSV separator";
    SeparatorSemicolon => "CSV con ; (Excel en español)", "CSV with ; (Excel in Spanish)";
    SeparatorComma => "CSV con ,", "CSV with ,";
    PasskeysLower => "llave(s) de acceso", "passkey(s)";
    LockedUntil => "Bloqueada hasta", "Locked until";
    Unlock => "Desbloquear", "Unlock";
    Owner => "Propietario", "Owner";
    BuiltIn => "incluido", "built-in";
    SaveDefaultAnyway => "Guardar la versión nueva", "Save the new version";
    SavedInCopy => "Guardado en tu copia, versión", "Saved in your copy, version";
    NoCorrections => "Todavía no hay líneas marcadas como incorrectas.", "No line has been marked incorrect yet.";
    Fixed => "Arregladas", "Fixed";
    Broken => "Estropeadas", "Broken";
    Elapsed => "Tiempo", "Elapsed";
    NavAccount => "Mi cuenta", "My account";
    AccountTitle => "Mi cuenta", "My account";
    MustChangePassword => "Un administrador restableció tu contraseña: elige una nueva para continuar.", "An administrator reset your password: choose a new one to go on.";
    ChangePassword => "Cambiar contraseña", "Change password";
    CurrentPassword => "Contraseña actual", "Current password";
    NewPassword => "Contraseña nueva", "New password";
    PasswordPolicy => "Al menos 10 caracteres, distinta del usuario y difícil de adivinar (se rechazan las contraseñas comunes).", "At least 10 characters, not the username, and hard to guess (common passwords are refused).";
    PasswordChanged => "Contraseña cambiada.", "Password changed.";
    SessionsTitle => "Sesiones abiertas", "Where you are signed in";
    SignOutOthers => "Cerrar las demás", "Sign out the others";
    SignOutEverywhere => "Cerrar sesión en todas partes", "Sign out everywhere";
    SessionsHint => "Cada inicio de sesión aparece aquí hasta que se cierra o caduca (12 h sin uso, 7 días como máximo).", "Every sign-in is listed here until it ends or expires (12 h idle, 7 days at most).";
    Device => "Dispositivo", "Device";
    SignInMethod => "Método", "Method";
    Address => "Dirección", "Address";
    SignedInAt => "Inicio", "Signed in";
    LastSeen => "Última actividad", "Last active";
    ThisSession => "Esta sesión", "This session";
    SessionsEnded => "{n} sesión(es) cerradas.", "{n} session(s) signed out.";
    ConfirmSignOutEverywhere => "¿Cerrar todas tus sesiones, también esta?", "Sign out every session, this one included?";
    TokensTitle => "Tokens de API personales", "Personal API tokens";
    TokensHint => "Para scripts y la API REST. Actúan con tus permisos, limitados a su alcance (lectura, escritura o administración); cambiar la contraseña los revoca todos. Envíalos como", "For scripts and the REST API. They act with your permissions, limited to their scope (read, write or administration); changing your password revokes them all. Send them as";
    TokenScope => "Alcance", "Scope";
    ScopeRead => "Solo lectura", "Read only";
    ScopeWrite => "Lectura y escritura", "Read and write";
    ScopeAdmin => "Administración", "Administration";
    Expires => "Caduca", "Expires";
    InDays => "en {n} días", "in {n} days";
    Never => "Nunca", "Never";
    CreateToken => "Crear token", "Create token";
    TokenShownOnce => "Copia este token ahora: no se volverá a mostrar.", "Copy this token now: it will not be shown again.";
    Copy => "Copiar", "Copy";
    NoTokens => "No tienes tokens.", "You have no tokens.";
    Token => "Token", "Token";
    LastUsed => "Último uso", "Last used";
    Revoke => "Revocar", "Revoke";
    Revoked => "Revocado", "Revoked";
    Expired => "Caducado", "Expired";
    Active => "Activo", "Active";
    Inactive => "Inactivo", "Inactive";
    ConfirmRevokeToken => "¿Revocar este token? Los scripts que lo usen dejarán de funcionar.", "Revoke this token? Scripts using it will stop working.";
    Users => "Usuarios", "Users";
    Roles => "Roles", "Roles";
    Audit => "Auditoría", "Audit log";
    NewUser => "Nuevo usuario", "New user";
    InitialPassword => "Contraseña inicial", "Initial password";
    InitialPasswordHint => "Déjala vacía para una cuenta solo con passkey.", "Leave it empty for a passkey-only account.";
    CreateUser => "Crear usuario", "Create user";
    Accounts => "Cuentas", "Accounts";
    Credentials => "Credenciales", "Credentials";
    Manage => "Gestionar", "Manage";
    MustChange => "debe cambiar la contraseña", "must change password";
    Remove => "Quitar", "Remove";
    PasswordWord => "contraseña", "password";
    AddRole => "Añadir rol…", "Add a role…";
    Until => "hasta", "until";
    Assign => "Asignar", "Assign";
    TemporaryPassword => "Contraseña temporal", "Temporary password";
    ResetPassword => "Restablecer contraseña", "Reset password";
    ConfirmDeactivate => "¿Desactivar esta cuenta? Sus sesiones y tokens dejan de funcionar al momento.", "Deactivate this account? Its sessions and tokens stop working at once.";
    ConfirmActivate => "¿Reactivar esta cuenta?", "Reactivate this account?";
    Deactivate => "Desactivar", "Deactivate";
    Activate => "Reactivar", "Reactivate";
    PasswordResetDone => "Contraseña restablecida: el usuario deberá cambiarla al entrar.", "Password reset: the user must change it at next sign-in.";
    RolesHint => "Los roles agrupan permisos. Los del sistema (admin, analyst, viewer) no se pueden borrar ni modificar; crea roles propios para otras combinaciones.", "Roles group permissions. The system roles (admin, analyst, viewer) cannot be deleted or changed; create your own roles for other combinations.";
    ConfirmDeleteRole => "¿Borrar el rol {name}? Quien lo tenga perderá sus permisos.", "Delete the role {name}? Whoever holds it loses its permissions.";
    SystemRole => "del sistema", "system";
    Holders => "{n} usuario(s)", "{n} user(s)";
    Save => "Guardar", "Save";
    NewRole => "Nuevo rol", "New role";
    CreateRole => "Crear rol", "Create role";
    Who => "Quién", "Who";
    Action => "Acción", "Action";
    Outcome => "Resultado", "Outcome";
    Any => "Cualquiera", "Any";
    Since => "Desde", "Since";
    Filter => "Filtrar", "Filter";
    When => "Cuándo", "When";
    NothingFound => "Nada que mostrar.", "Nothing to show.";
    LoadMore => "Cargar más", "Load more";
    Details => "Detalle", "Details";
    SharedWith => "Compartido con", "Shared with";
    SharesHint => "Quien lo tenga compartido ve el conjunto, sus clasificaciones y muestras, y actúa según sus propios permisos. Escribe el nombre de usuario exacto: si pertenece a una cuenta activa, aparecerá aquí.", "People it is shared with see the dataset, its runs and samples, and act within their own permissions. Type the exact username: if it belongs to an active account, it appears here.";
    Share => "Compartir", "Share";
    Or => "o", "or";
    SignInWithPasskey => "Entrar con una passkey", "Sign in with a passkey";
    PasskeysTitle => "Llaves de acceso", "Passkeys";
    PasskeysHint => "Entra sin contraseña con la huella, la cara o el PIN de tu dispositivo. Puedes tener varias, una por dispositivo.", "Sign in without a password, with your device's fingerprint, face or PIN. You can have several, one per device.";
    PasskeyName => "Nombre de la passkey", "Passkey name";
    PasskeyNameExample => "p. ej. Portátil del trabajo", "e.g. Work laptop";
    AddPasskey => "Añadir una passkey", "Add a passkey";
    NoPasskeys => "Todavía no tienes passkeys.", "You have no passkeys yet.";
    Synced => "Sincronizada", "Synced";
    SyncCapable => "puede sincronizarse", "can sync";
    Rename => "Renombrar", "Rename";
    Yes => "Sí", "Yes";
    No => "No", "No";
    ConfirmRemovePasskey => "¿Quitar esta passkey? Las sesiones abiertas con ella se cerrarán.", "Remove this passkey? The sessions it opened will end.";
    EnrolTitle => "Configura tu acceso", "Set up your sign-in";
    EnrolIntro => "Un administrador te ha enviado este enlace. Sirve una sola vez y caduca en una hora.", "An administrator sent you this link. It works once and expires in an hour.";
    Continue => "Continuar", "Continue";
    Welcome => "Hola,", "Hello,";
    SetPassword => "Elegir una contraseña", "Choose a password";
    EnrolmentLink => "Enlace de acceso", "Enrolment link";
    EnrolmentLinkHint => "Envíalo al usuario: sirve una vez, durante una hora, para añadir una passkey o elegir contraseña.", "Send it to the user: it works once, for an hour, to add a passkey or choose a password.";
    // Governed tables
    TablesHint => "Tablas gobernadas: cada columna con su tipo y sus reglas, cada cambio con su historia.", "Governed tables: every column with its type and rules, every change with its history.";
    NoTables => "Todavía no hay tablas gobernadas.", "There are no governed tables yet.";
    NewTable => "Nueva tabla", "New table";
    CreateTable => "Crear tabla", "Create table";
    TableNameHint => "Una letra y después letras, cifras o _ (hasta 63).", "A letter, then letters, digits or _ (up to 63).";
    Hierarchical => "Sus filas forman un árbol (cada fila puede tener un padre)", "Its rows form a tree (each row may have a parent)";
    Schema => "Esquema", "Schema";
    SchemaVersion => "Versión", "Version";
    Updated => "Modificada", "Updated";
    OpenRows => "Ver filas", "Open rows";
    Code => "Código", "Code";
    DisplayValue => "Nombre", "Display value";
    Version => "Versión", "Version";
    Mandatory => "Obligatoria", "Mandatory";
    Unique => "Única", "Unique";
    Rule => "Regla", "Rule";
    Soft => "flexible", "soft";
    Constraints => "Restricciones", "Constraints";
    Definition => "Definición", "Definition";
    Message => "Mensaje", "Message";
    NoColumns => "Esta tabla aún no tiene columnas.", "This table has no columns yet.";
    NoConstraints => "Sin restricciones.", "No constraints.";
    AddColumn => "Añadir columna", "Add column";
    AddConstraint => "Añadir restricción", "Add constraint";
    EnumValues => "Valores permitidos (separados por comas)", "Allowed values (comma-separated)";
    Expression => "Expresión", "Expression";
    ExpressionHint => "Campos por su nombre, comparaciones, and/or/not, is null, in (…), like.", "Fields by name, comparisons, and/or/not, is null, in (…), like.";
    ExpressionOk => "Expresión válida.", "The expression is valid.";
    UnknownField => "La tabla no tiene el campo", "The table has no field";
    RowsBreakRule => "filas existentes no cumplen esta regla. Por ejemplo:", "existing rows break this rule. For example:";
    KeepSoft => "Mantenerla flexible y corregirlas después", "Keep it soft and fix them later";
    ValuesNotConvertible => "valores guardados no caben en el tipo nuevo. Por ejemplo:", "stored values would not fit the new type. For example:";
    Actions => "Acciones", "Actions";
    SqlSource => "SQL sobre las vistas (administración)", "SQL over the views (admins)";
    SqlHint => "Lee report_views.<tabla> (columnas enmascaradas fuera); :nombre es un parámetro. Se comprueba al guardar, como el rol de solo lectura.", "Reads report_views.<table> (masked columns left out); :name is a parameter. Checked when saved, as the read-only role.";
    SqlParameters => "Parámetros (JSON)", "Parameters (JSON)";
    SqlContract => "Contrato de respuesta (JSON)", "Response contract (JSON)";
    ReportOnRun => "Informe de la clasificación", "Report on the classification";
    ReviewedSample => "Muestra revisada", "Reviewed sample";
    AccuracyByIteration => "Acierto por iteración", "Accuracy by iteration";
    ConfusedPairs => "Pares más confundidos", "Most confused pairs";
    ClassificationSummary => "Resumen de la clasificación", "Classification summary";
    ConfirmDelete => "Sí, eliminarlo", "Yes, delete it";
    AddAggregate => "Añadir agregado", "Add an aggregate";
    AddDerived => "Añadir métrica derivada", "Add a derived metric";
    AddGroupBy => "Agrupar por otro campo", "Group by another field";
    Aggregates => "Agregados", "Aggregates";
    AllowExport => "Permitir descargar CSV y Excel", "Allow CSV and Excel downloads";
    Apply => "Aplicar", "Apply";
    Bucket => "Periodo", "Period";
    ChangeDescription => "Qué cambia en esta versión", "What this version changes";
    Chart => "Gráfico", "Chart";
    ChartSeries => "Separar las barras por", "Split the bars by";
    ChartTitle => "Título del gráfico", "Chart title";
    ChartX => "Eje horizontal", "Horizontal axis";
    ClassificationRuns => "Ejecuciones de clasificación", "Classification runs";
    CreateLink => "Crear enlace", "Create link";
    DeleteReport => "Eliminar el informe", "Delete the report";
    DerivedHint => "Fórmulas sobre los agregados (+ − × ÷ y paréntesis), como ingresos / coste. Un denominador cero da vacío.", "Formulas over the aggregates (+ − × ÷ and parentheses), such as revenue / cost. A zero denominator gives an empty value.";
    DerivedMetrics => "Métricas derivadas", "Derived metrics";
    Descending => "De mayor a menor", "Largest first";
    EditReport => "Editar el informe", "Edit the report";
    ExactValue => "Valor exacto", "Exact value";
    FilterFixed => "Fijo", "Fixed";
    FilterLocked => "Bloqueado", "Locked";
    FilterMode => "Quién lo elige", "Who sets it";
    FilterModesHint => "Fijo: lo decide el informe. Parámetro: quien lo abre puede cambiarlo (el valor es el inicial). Bloqueado: nadie más puede cambiarlo.", "Fixed: the report sets it. Parameter: whoever opens it may change it (the value is where it starts). Locked: nobody else may change it.";
    FilterParameter => "Parámetro", "Parameter";
    Filters => "Filtros", "Filters";
    Formula => "Fórmula", "Formula";
    Function => "Función", "Function";
    GovernedTables => "Tablas gobernadas", "Governed tables";
    GroupBy => "Agrupar por", "Group by";
    InventoryHint => "Todos los enlaces compartidos de todos los informes: quién compartió qué, hasta cuándo y cuántas veces se abrió.", "Every shared link of every report: who shared what, until when and how often it was opened.";
    LastOpen => "Última apertura", "Last opened";
    Limit => "Máximo de filas", "Row limit";
    LinkPassword => "Contraseña (opcional, 8+ caracteres)", "Password (optional, 8+ characters)";
    LinkShownOnce => "Copia el enlace ahora: no se volverá a mostrar.", "Copy the link now: it will not be shown again.";
    LockValue => "Fijar", "Fix";
    LockedValues => "Valores fijados", "Fixed values";
    NameAs => "Nombre en el resultado", "Name in the answer";
    NewReport => "Nuevo informe", "New report";
    NoLinks => "Sin enlaces compartidos.", "No shared links.";
    NoReports => "Aún no hay informes. Crea uno sobre una tabla gobernada o una ejecución.", "No reports yet. Build one over a governed table or a run.";
    Opens => "Aperturas", "Opens";
    PickSource => "Elige un origen para ver la vista previa.", "Pick a source to see the preview.";
    Preview => "Vista previa", "Preview";
    ReportListRows => "Listar filas", "List rows";
    ReportShows => "El informe muestra", "The report shows";
    ReportSummarise => "Resumir por grupos", "Summarise by groups";
    ReportsHint => "Informes sobre tablas gobernadas y ejecuciones de clasificación, con gráfico, parámetros, exportación y enlaces para quien no tiene cuenta.", "Reports over governed tables and classification runs, with a chart, parameters, exports and links for people without an account.";
    RolesMayRun => "Roles que pueden abrirlo", "Roles that may open it";
    Rotate => "Rotar", "Rotate";
    SaveReport => "Guardar el informe", "Save the report";
    SharedLinks => "Enlaces compartidos", "Shared links";
    SortBy => "Ordenar por", "Sort by";
    Versions => "Versiones", "Versions";
    EditColumn => "Cambiar", "Change";
    Hierarchy => "Jerarquía", "Hierarchy";
    ShareView => "Compartir", "Share";
    DeleteView => "Borrar la vista", "Delete the view";
    ShowChildren => "Mostrar u ocultar las filas hijas", "Show or hide the child rows";
    NoChildren => "sin filas hijas", "no child rows";
    FirstRowsOnly => "Solo las primeras 200; filtra la cuadrícula para ver el resto.", "The first 200 only; filter the grid to see the rest.";
    SaveChanges => "Guardar cambios", "Save changes";
    ReferencedTable => "Tabla a la que apunta", "Table it points at";
    OnDeleteLabel => "Al borrar la fila apuntada", "When the row it points at is deleted";
    NoReferenceColumns => "Esta tabla no tiene columnas Reference; añade una para crear una clave foránea.", "This table has no Reference column; add one to make a foreign key.";
    KeepSoftHint => "Flexible: las filas actuales se quedan como están (aparecen marcadas) y los valores nuevos o cambiados deben cumplirla.", "Soft: the rows there now stay as they are (they are marked) and new or changed values must follow it.";
    SchemaHistory => "Historia del esquema", "Schema history";
    NoHistory => "Sin cambios todavía.", "No changes yet.";
    // Imports
    Imports => "Importaciones", "Imports";
    ImportsHint => "Llevar registros de un conjunto de datos o de una clasificación a una tabla gobernada, con cada regla comprobada.", "Bring records from a dataset or a classification into a governed table, every rule checked.";
    NewImport => "Nueva importación", "New import";
    NewImportHint => "Elige la tabla y el origen, revisa el mapeo y haz una prueba: verás qué se insertaría, actualizaría o rechazaría sin escribir nada.", "Choose the table and the source, check the mapping and try it: you see what would be inserted, updated or rejected, with nothing written.";
    ImportInto => "Importar aquí", "Import into it";
    ImportAgain => "Importar de nuevo", "Import again";
    ImportJobs => "Importaciones recientes", "Recent imports";
    ImportConfigurations => "Configuraciones guardadas", "Saved configurations";
    ImportConfiguration => "Configuración", "Configuration";
    NoImportJobs => "Todavía no hay importaciones.", "No imports yet.";
    NoImportConfigs => "Todavía no hay configuraciones.", "No configurations yet.";
    TargetTable => "Tabla de destino", "Target table";
    Source => "Origen", "Source";
    ClassifiedRun => "Clasificación (con sus categorías)", "Classification (with its categories)";
    Choose => "Elige…", "Choose…";
    ChooseTableAndSource => "Elige la tabla de destino y el origen para ver el mapeo.", "Choose the target table and the source to see the mapping.";
    ImportWhat => "Qué importar y adónde", "What to import, and where";
    Mapping => "Mapeo de campos", "Field mapping";
    TargetField => "Campo de la tabla", "Table field";
    SourceField => "Campo de origen", "Source field";
    Format => "Formato", "Format";
    NotFilled => "— sin rellenar —", "— not filled —";
    DecimalSeparator => "Separador decimal", "Decimal separator";
    DateFormat => "Formato de fecha", "Date format";
    KeepOtherFields => "Guardar los demás campos del origen como propiedades extendidas", "Keep the other source fields as extended properties";
    ImportRules => "Cómo importar", "How to import";
    UpsertKey => "Clave para actualizar", "Upsert key";
    AlwaysInsert => "Ninguna: insertar siempre", "None: always insert";
    ValidationLevel => "Validación", "Validation";
    Strict => "Estricta: un campo que no se puede convertir rechaza el registro", "Strict: a field that cannot be converted rejects the record";
    Lenient => "Flexible: el campo se omite con un aviso", "Lenient: the field is left out with a warning";
    OnRejected => "Si se rechaza un registro", "When a record is rejected";
    ContinueOnError => "Seguir con los demás", "Go on with the others";
    StopOnError => "Detener la importación", "Stop the import";
    ConfigurationName => "Nombre de la configuración", "Configuration name";
    DryRun => "Probar sin escribir", "Dry run";
    StartImport => "Importar", "Import";
    DryRunResult => "Resultado de la prueba", "Dry run result";
    RecordsNothingWritten => "registros leídos; no se ha escrito nada.", "records read; nothing was written.";
    WouldInsert => "se insertarían", "would be inserted";
    WouldUpdate => "se actualizarían", "would be updated";
    Unchanged => "sin cambios", "unchanged";
    WouldStop => "Con «Detener» la importación pararía en el primer registro rechazado.", "With “Stop” the import would stop at the first rejected record.";
    Record => "Registro", "Record";
    Identifier => "Identificador", "Identifier";
    Field => "Campo", "Field";
    Fields => "Campos", "Fields";
    Data => "Datos", "Data";
    Inserted => "insertadas", "inserted";
    Processed => "Procesados", "Processed";
    RecordsWithWarnings => "registros importados con avisos (campos omitidos).", "records imported with warnings (fields left out).";
    RejectedRecords => "Registros rechazados", "Rejected records";
    DownloadRejected => "Descargar rechazados (CSV)", "Download rejected (CSV)";
    RollBack => "Deshacer la importación", "Roll back the import";
    RollBackQuestion => "¿Deshacer esta importación?", "Roll this import back?";
    RollBackHint => "Se borran las filas que insertó y las que actualizó vuelven a como estaban. Si alguna cambió después, no se toca nada.", "The rows it inserted are deleted and those it updated return to what they were. If any changed since, nothing is touched.";
    RowsRemoved => "filas borradas", "rows removed";
    RowsRestored => "filas restauradas", "rows restored";
    StatusPartial => "Parcial", "Partial";
    StatusRolledBack => "Deshecha", "Rolled back";
    PublishToTable => "Publicar en una tabla", "Publish to a table";
    ReasonMissing => "Falta un campo obligatorio:", "A mandatory field is missing:";
    ReasonTransform => "No se puede convertir:", "Cannot be converted:";
    ReasonNoKey => "Falta la clave para actualizar:", "The upsert key is missing:";
    ReasonAmbiguousKey => "Varias filas tienen esta clave:", "Several rows have this key:";
    ReasonNotApplied => "No aplicado: otro registro de su lote detuvo la importación.", "Not applied: another record of its batch stopped the import.";
    RowsWord => "filas", "rows";
    UpdatedRows => "actualizadas", "updated";
    GridHint => "Escribe o pulsa Intro para editar, Ctrl+V pega un bloque desde una hoja de cálculo, Ctrl+Z deshace.", "Type or press Enter to edit, Ctrl+V pastes a block from a spreadsheet, Ctrl+Z undoes.";
    RowWord => "Fila", "Row";
    PasteRefused => "No se pegó nada; corrige estas celdas:", "Nothing was pasted; fix these cells:";
    RowChangedTitle => "Otra persona cambió esta fila mientras la editabas", "Someone else changed this row while you were editing it";
    ReloadRow => "Ver su versión (descartar mi cambio)", "See their version (drop my change)";
    OverwriteRow => "Sobrescribir con mi cambio", "Overwrite with my change";
    TheirValue => "Su valor", "Their value";
    MyValue => "El mío", "Mine";
    RowHistory => "Historia de la fila", "Row history";
    NoRowHistory => "Sin cambios desde que se creó.", "No changes since it was created.";
    SelectARow => "Elige una fila.", "Choose a row.";
    Deleted => "borrada", "deleted";
    Close => "Cerrar", "Close";
    FillDown => "Rellenar hacia abajo", "Fill down";
    ExportCsv => "Exportar CSV", "Export CSV";
    SearchRows => "Buscar en las filas…", "Search the rows…";
    Operator => "Operador", "Operator";
    Value => "Valor", "Value";
    AddFilter => "Filtrar", "Add filter";
    RemoveFilter => "Quitar el filtro", "Remove the filter";
    ViewName => "Nombre de la vista", "View name";
    SaveView => "Guardar vista", "Save view";
    Order => "Orden", "Order";
    MoveUp => "Subir", "Move up";
    MoveDown => "Bajar", "Move down";
    Masking => "Enmascarado", "Masking";
    DefaultValue => "Valor por defecto", "Default value";
    RuleParameters => "Parámetros de la regla (JSON)", "Rule parameters (JSON)";
    NoRule => "Sin regla", "No rule";
    FromVersion => "Desde", "From";
    SortHint => "Ordenar; con Mayús, después de los otros órdenes", "Sort; with Shift, after the other sorts";
    ToVersion => "Hasta", "To";
    SavedViews => "Vistas guardadas", "Saved views";
    ExportXlsx => "Exportar XLSX", "Export XLSX";
    // Marketing
    NavMarketing => "Marketing", "Marketing";
    MarketingHint => "Fuentes de anuncios y CRM leídas por HTTP, de forma incremental y sin duplicar nada; el embudo une anuncios y oportunidades por UTM.", "Ads and CRM sources read over HTTP, incrementally and without doubling anything; the funnel joins ads and opportunities by UTM.";
    NoSources => "Aún no hay fuentes. Añade una para traer datos de anuncios o del CRM.", "No sources yet. Add one to bring in ads or CRM data.";
    NewSource => "Añadir fuente", "Add source";
    EditSource => "Cambiar la fuente", "Change the source";
    StartFrom => "Partir de", "Start from";
    AuthHeader => "Cabecera de autenticación", "Authentication header";
    Secret => "Secreto", "Secret";
    SecretKept => "guardado; escribe para cambiarlo", "kept; type to replace it";
    Schedule => "Programación (cron, UTC)", "Schedule (cron, UTC)";
    LookbackDays => "Días que se releen", "Days read again";
    Enabled => "Activa", "Enabled";
    Disabled => "desactivada", "disabled";
    RecordsPath => "Ruta de los registros", "Records path";
    Pagination => "Paginación", "Pagination";
    OnePage => "Una sola página", "One page";
    NextLink => "Enlace a la siguiente", "Next link";
    CursorParam => "Cursor", "Cursor";
    NextPath => "Ruta del siguiente enlace o cursor", "Path of the next link or cursor";
    PageParam => "Parámetro del cursor u offset", "Cursor or offset parameter";
    LimitParam => "Parámetro del tamaño de página", "Page size parameter";
    PageSize => "Tamaño de página", "Page size";
    SinceParam => "Parámetro «desde»", "\"Since\" parameter";
    SinceFormat => "Formato de «desde»", "\"Since\" format";
    PathInSource => "Ruta en la fuente", "Path in the source";
    Constant => "Constante", "Constant";
    Scale => "Escala", "Scale";
    DeleteSourceQuestion => "¿Borrar la fuente y su historial? Los datos que trajo se quedan.", "Delete the source and its history? The data it brought stays.";
    Kind => "Tipo", "Kind";
    Cursor => "Cursor", "Cursor";
    NextRun => "próxima", "next";
    LastRun => "Última ejecución", "Last run";
    RunNow => "Ejecutar ahora", "Run now";
    Edit => "Cambiar", "Edit";
    RecentRuns => "Ejecuciones recientes", "Recent runs";
    Read => "leídos", "read";
    Pages => "páginas", "pages";
    RetriesWord => "reintentos", "retries";
    Window => "Ventana", "Window";
    Everything => "todo", "everything";
    Page => "Página", "Page";
    RecordWord => "Registro", "Record";
    Funnel => "Embudo", "Funnel";
    ByChannel => "Por canal", "By channel";
    ByCampaign => "Por campaña", "By campaign";
    ByDate => "Por día", "By day";
    Clicks => "Clics", "Clicks";
    Leads => "Leads", "Leads";
    Opportunities => "Oportunidades", "Opportunities";
    Won => "Ganadas", "Won";
    Revenue => "Ingresos", "Revenue";
    Cpc => "CPC", "CPC";
    Cpa => "CPA", "CPA";
    CvrLeadOpp => "Lead→oport.", "Lead→opp.";
    CvrOppWon => "Oport.→ganada", "Opp.→won";
    Roas => "ROAS", "ROAS";
    FallbackJoined => "oportunidades unidas solo por campaña (falta fuente o medio)", "opportunities joined on the campaign alone (source or medium unknown)";
    Unmatched => "sin anuncios que las expliquen", "with no ads to explain them";
    NoFunnelRows => "Nada en el embudo con estos filtros.", "Nothing in the funnel with these filters.";
    OpenAsReport => "Abrir como informe", "Open as a report";
    SendToSink => "Enviar firmado", "Send signed";
    Signed => "firmado (X-Signature y webhook-signature)", "signed (X-Signature and webhook-signature)";
    EventPipeline => "Eventos", "Events";
    EventPipelineHint => "Eventos recibidos en POST /api/v1/events: validados por hasta 10 trabajadores, guardados con hasta 5 conexiones. Se actualiza cada segundo.", "Events sent to POST /api/v1/events: validated by up to 10 workers, stored over up to 5 connections. Updated every second.";
    Accepted => "aceptados", "accepted";
    Duplicates => "repetidos", "duplicates";
    PerSecond => "por segundo", "per second";
    Latency => "latencia media", "average latency";
    Validators => "Validadores ocupados", "Validators busy";
    Storers => "Conexiones de guardado", "Storage connections";
    FewShotPerCall => "Ejemplos por llamada", "Examples per call";
    FewShotTokens => "Tokens de ejemplos por llamada", "Example tokens per call";
    PlanExamples => "Ejemplos del prompt", "Prompt examples";
    PlanOfflineLearns => "El clasificador sin conexión aprende de estos ejemplos y de las líneas validadas antes de empezar.", "The offline classifier learns from these examples and the validated lines before it starts.";
    PlanFirstExamples => "Ejemplos que lleva la primera llamada", "Examples the first call carries";
    Similarity => "parecido del texto, de 0 a 1", "text similarity, 0 to 1";
    ExamplesShown => "ejemplos enviados", "examples sent";
    ExamplesShownHint => "Estas líneas ya clasificadas se enviaron al modelo junto a esta línea. Conjunto de ejemplos", "These already classified lines were sent to the model with this line. Example set";
    Examples => "Ejemplos", "Examples";
    ExamplesHint => "Líneas ya clasificadas por la empresa. El clasificador sin conexión aprende de ellas; al modelo se le envían las más parecidas a cada bloque. Cada cambio crea un conjunto nuevo y cada ejecución guarda el que usó.", "Lines the company already classified. The offline classifier learns from them; the model is sent the ones closest to each chunk. Every change makes a new set, and every run records the one it used.";
    AddExample => "Añadir un ejemplo", "Add an example";
    Add => "Añadir", "Add";
    ExamplesLower => "ejemplos", "examples";
    ExampleSet => "conjunto", "set";
    ValidatedInReviews => "líneas validadas en revisiones también enseñan", "lines validated in reviews also teach";
    NoExamples => "Todavía no hay ejemplos. Importa el libro etiquetado del año pasado o añade uno.", "No examples yet. Import last year's labelled ledger or add one.";
    Origin => "Origen", "Origin";
    ImportLabelled => "Importar un histórico etiquetado", "Import a labelled history";
    ImportLabelledHint => "Sube antes el fichero (CSV, Excel u ODS) en Subir. Elige aquí la tabla, las columnas con el texto de la línea y la columna con su categoría.", "Upload the file (CSV, Excel or ODS) under Upload first. Here, choose the table, the columns holding the line's text and the column holding its category.";
    UploadedFile => "Fichero subido", "Uploaded file";
    Table => "Tabla", "Table";
    TextColumns => "Columnas de texto", "Text columns";
    LabelColumn => "Columna de categoría", "Category column";
    PreviewLabels => "Ver las etiquetas", "Preview the labels";
    ImportExamplesAction => "Importar como ejemplos", "Import as examples";
    ImportedExamples => "Añadidos", "Added";
    Replaced => "con otra categoría ahora", "recategorised";
    SkippedRows => "omitidas", "skipped";
    CreatedCategories => "Categorías creadas:", "Categories created:";
    DistinctTexts => "textos distintos", "distinct texts";
    ConflictingLabels => "con etiquetas en conflicto", "with conflicting labels";
    EmptySkipped => "sin texto o sin etiqueta", "without text or label";
    Label => "Etiqueta", "Label";
    CreateCategory => "Crear categoría", "Create category";
    SkipLabel => "Omitir", "Skip";
    Reasked => "Preguntadas de nuevo", "Asked again";
    SplitCalls => "Llamadas al dividir bloques", "Calls splitting chunks";
    Isolated => "Aisladas (fallan solas)", "Isolated (fail alone)";
    RetryPassRescued => "Rescatadas en la pasada final", "Rescued by the final pass";
    ReviewOrder => "Orden", "Order";
    OrderSample => "de la muestra", "as sampled";
    OrderLeastConfident => "menos seguras primero", "least confident first";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_comes_from_cookie_header() {
        assert_eq!(Locale::from_cookie_header("a=1; dgs_locale=en; b=2"), Some(Locale::En));
        assert_eq!(Locale::from_cookie_header("dgs_locale=xx"), None);
        assert_eq!(Locale::from_cookie_header(""), None);
    }

    #[test]
    fn both_languages_differ_where_they_should() {
        assert_ne!(t(Locale::Es, Key::SignIn), t(Locale::En, Key::SignIn));
        assert_eq!(t(Locale::Es, Key::ApiDocs), t(Locale::En, Key::ApiDocs));
    }
}

/// The name of a column type in the reader's language.
pub fn type_name(locale: Locale, kind: engine::ingest::ColumnType) -> &'static str {
    use engine::ingest::ColumnType as C;
    let key = match kind {
        C::Empty => Key::TypeEmpty,
        C::Boolean => Key::TypeBoolean,
        C::Integer => Key::TypeInteger,
        C::Decimal => Key::TypeDecimal,
        C::Date => Key::TypeDate,
        C::Datetime => Key::TypeDatetime,
        C::Text => Key::TypeText,
    };
    t(locale, key)
}
