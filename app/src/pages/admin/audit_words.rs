//! The audit log in people's words: "created a dataset", not `POST /api/build_dataset1234…`. A
//! request is named by its server function (its path without the hash the build appends) or by its
//! REST route; anything not in the table keeps its raw name.

use crate::i18n::Locale;

/// (server function or route, Spanish, English).
const ACTIONS: &[(&str, &str, &str)] = &[
    ("sign_in", "inició sesión", "signed in"),
    ("login", "inició sesión", "signed in"),
    ("logout", "cerró sesión", "signed out"),
    ("setup_admin", "creó el primer administrador", "created the first administrator"),
    ("change_password", "cambió su contraseña", "changed their password"),
    ("end_session", "cerró una sesión", "ended a session"),
    ("end_all_sessions", "cerró todas sus sesiones", "ended all their sessions"),
    ("create_token", "creó un token de API", "created an API token"),
    ("revoke_token", "revocó un token de API", "revoked an API token"),
    ("rename_passkey", "renombró una llave de acceso", "renamed a passkey"),
    ("remove_passkey", "quitó una llave de acceso", "removed a passkey"),
    ("redeem_enrolment", "completó su alta", "completed their enrolment"),
    ("admin_create_user", "creó un usuario", "created a user"),
    ("admin_set_active", "activó o desactivó un usuario", "activated or deactivated a user"),
    ("admin_reset_password", "restableció una contraseña", "reset a password"),
    ("admin_save_role", "guardó un rol", "saved a role"),
    ("admin_delete_role", "borró un rol", "deleted a role"),
    ("admin_assign_role", "asignó un rol", "assigned a role"),
    ("admin_unassign_role", "retiró un rol", "took back a role"),
    ("admin_enrolment_link", "creó un enlace de alta", "created an enrolment link"),
    ("build_dataset", "creó un conjunto de datos", "created a dataset"),
    ("remove_dataset", "borró un conjunto de datos", "deleted a dataset"),
    ("share_dataset", "compartió un conjunto de datos", "shared a dataset"),
    ("unshare_dataset", "dejó de compartir un conjunto de datos", "stopped sharing a dataset"),
    ("save_prompt", "guardó una versión de un prompt", "saved a prompt version"),
    ("copy_prompt", "duplicó un prompt", "duplicated a prompt"),
    ("make_default_prompt", "hizo predeterminado un prompt", "made a prompt the default"),
    ("draw_sample", "sacó una muestra", "drew a sample"),
    ("give_verdict", "dio un veredicto", "gave a verdict"),
    ("add_correction_examples", "guardó las correcciones como ejemplos", "saved corrections as examples"),
    ("run_from_sample", "ejecutó una versión desde una muestra", "ran a version from a sample"),
    ("compare_iterations", "comparó iteraciones de una muestra", "compared iterations of a sample"),
    ("start_classification", "empezó una clasificación", "started a classification"),
    ("resume_run", "reanudó una ejecución", "resumed a run"),
    ("cancel_run", "canceló una ejecución", "cancelled a run"),
    ("set_column_type", "cambió el tipo de una columna", "changed a column's type"),
    ("remove_upload", "borró una subida", "deleted an upload"),
    ("POST /api/v1/uploads", "subió un archivo", "uploaded a file"),
    ("POST /api/v1/datasets", "creó un conjunto de datos", "created a dataset"),
    ("POST /api/v1/runs", "empezó una clasificación", "started a classification"),
    ("POST /api/v1/samples", "sacó una muestra", "drew a sample"),
    ("POST /api/v1/prompts", "creó un prompt", "created a prompt"),
    ("POST /api/v1/auth/logout", "cerró sesión", "signed out"),
    ("POST /api/v1/auth/passkeys/register/finish", "registró una llave de acceso", "registered a passkey"),
];

/// The action as people say it, or the raw name when it is not one we know.
pub fn action_label(action: &str, l: Locale) -> Option<&'static str> {
    let key = match action.split_once(' ') {
        // A server function: `POST /api/<name><hash>`.
        Some((_, path)) if path.starts_with("/api/") && !path.starts_with("/api/v1/") => {
            path.trim_start_matches("/api/").trim_end_matches(|c: char| c.is_ascii_digit()).to_string()
        }
        _ => action.to_string(),
    };
    ACTIONS.iter().find(|(k, _, _)| *k == key).map(|(_, es, en)| match l {
        Locale::Es => *es,
        Locale::En => *en,
    })
}

pub fn outcome_label(outcome: &str, l: Locale) -> &str {
    match (outcome, l) {
        ("ok", Locale::Es) => "correcto",
        ("ok", Locale::En) => "ok",
        ("denied", Locale::Es) => "denegado",
        ("denied", Locale::En) => "denied",
        ("failed", Locale::Es) => "fallido",
        ("failed", Locale::En) => "failed",
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_functions_and_routes_get_their_names() {
        assert_eq!(action_label("POST /api/compare_iterations4440123", Locale::En), Some("compared iterations of a sample"));
        assert_eq!(action_label("sign_in", Locale::Es), Some("inició sesión"));
        assert_eq!(action_label("POST /api/v1/uploads", Locale::Es), Some("subió un archivo"));
        assert_eq!(action_label("PATCH /api/v1/whatever", Locale::En), None);
    }
}

/// What a permission or a built-in role allows, in the reader's language; a custom role's own
/// description (written by an admin) is shown as written.
pub fn grant_text(name: &str, l: Locale) -> Option<&'static str> {
    const GRANTS: &[(&str, &str, &str)] = &[
        ("dataset:read", "Abrir sus subidas, conjuntos de datos, ejecuciones y muestras", "Open own uploads, datasets, runs and samples"),
        ("dataset:create", "Subir archivos y crear conjuntos de datos", "Upload files and build datasets"),
        ("dataset:admin", "Ver y gestionar las subidas, conjuntos y ejecuciones de todos", "See and manage everyone's uploads, datasets and runs"),
        ("run:create", "Empezar, cancelar y reanudar clasificaciones", "Start, cancel and resume classification runs"),
        ("sample:review", "Sacar muestras, dar veredictos y refinar con ellos", "Draw samples, give verdicts and refine from them"),
        ("prompt:edit", "Escribir sus prompts y guardar versiones nuevas", "Write own prompts and save new versions"),
        ("prompt:share", "Compartir sus prompts con todos", "Share own prompts with everyone"),
        ("prompt:admin", "Elegir el prompt predeterminado y editar cualquiera", "Choose the default prompt and edit anyone's"),
        ("user:admin", "Invitar, desactivar y restablecer usuarios; gestionar roles y asignaciones", "Invite, deactivate and reset users; manage roles and assignments"),
        ("audit:read", "Consultar el registro de auditoría", "Browse the audit log"),
        ("table:admin", "Definir tablas gobernadas: columnas, reglas, restricciones y permisos", "Define governed tables: columns, rules, constraints, grants"),
        ("table:read", "Leer las filas de las tablas gobernadas", "Read the rows of governed tables"),
        ("table:write", "Crear, cambiar y borrar filas de las tablas gobernadas", "Create, change and delete rows of governed tables"),
        ("table:unmask", "Ver sin enmascarar las columnas protegidas", "See masked columns of governed tables in clear"),
        ("report:create", "Crear informes sobre los datos que puede leer, compartirlos y crear enlaces", "Build reports over the data one may read, share them and make links"),
        ("report:admin", "Ver, cambiar y borrar todos los informes; el inventario de enlaces compartidos", "See, change and delete every report; the inventory of shared links"),
        ("admin", "Gobierna esquemas, usuarios, roles, prompts compartidos y ajustes", "Governs schemas, users, roles, shared prompts and settings"),
        ("analyst", "Sube, limpia, clasifica, valida e informa", "Uploads, cleans, classifies, validates and reports"),
        ("viewer", "Lee conjuntos de datos, ejecuciones e informes", "Reads datasets, runs and reports"),
    ];
    GRANTS.iter().find(|(k, _, _)| *k == name).map(|(_, es, en)| match l {
        Locale::Es => *es,
        Locale::En => *en,
    })
}
