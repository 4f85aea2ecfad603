use serde::{Deserialize, Serialize};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Higher wins a tie between categories that match equally well.
    #[serde(default)]
    pub priority: i32,
}

/// The name, template and categories a prompt is created with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptSpec {
    pub name: String,
    pub label: String,
    pub template: String,
    pub categories: Vec<Category>,
}

/// What the model reads: template, numbered categories as `N. Name - description` with a `Keywords:`
/// line (seed 000), then the mandatory instruction to answer once per input, keyed by `row_index`.
pub fn compile_prompt(template: &str, categories: &[Category]) -> String {
    let mut out = String::with_capacity(template.len() + categories.len() * 80 + 400);
    out.push_str(template.trim_end());
    out.push_str("\n\nCATEGORÍAS Y REGLAS:\n");
    for (i, cat) in categories.iter().enumerate() {
        out.push_str(&format!("{}. {} - {}\n", i + 1, cat.name, cat.description));
        if !cat.keywords.is_empty() {
            out.push_str(&format!("   Keywords: {}\n", cat.keywords.join(", ")));
        }
    }
    out.push_str(
        "\nCRÍTICO: recibirás un array JSON de objetos {\"row_index\": n, \"text\": \"...\"}. \
         Devuelve EXACTAMENTE un resultado por cada entrada, con el mismo row_index, y usa solo los \
         nombres de categoría de la lista. Responde únicamente con un objeto JSON \
         {\"results\": [{\"row_index\": n, \"category\": \"...\", \"score\": 0.0-1.0, \"reason\": \"...\"}]}.",
    );
    out
}

/// The prompt a fresh installation starts with, so the whole flow works before anyone writes one.
pub fn default_prompt() -> PromptSpec {
    let cat = |name: &str, description: &str, priority: i32, keywords: &[&str]| Category {
        name: name.into(),
        description: description.into(),
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        priority,
    };
    PromptSpec {
        name: "Gastos generales".into(),
        label: "gastos-generales".into(),
        template: "Eres un asistente contable. Clasifica cada línea de un auxiliar contable (gastos de \
                   una empresa) en una de las categorías siguientes. Explica en pocas palabras por qué."
            .into(),
        categories: vec![
            cat("Viajes y transporte", "Billetes, taxis, hoteles, combustible, peajes y aparcamiento", 5,
                &["taxi", "uber", "vuelo", "avion", "hotel", "tren", "renfe", "gasolina", "combustible",
                  "peaje", "parking", "aparcamiento", "travel", "flight", "airline", "airways", "fuel",
                  "petrol", "train", "rail", "hotels", "car hire"]),
            cat("Comidas y restauración", "Restaurantes, catering, cafeterías y dietas", 4,
                &["restaurante", "comida", "cena", "almuerzo", "catering", "cafeteria", "cafe", "bar",
                  "dieta", "restaurant", "food", "lunch", "dinner", "coffee", "pizza", "sandwich"]),
            cat("Material de oficina", "Papelería, consumibles e impresión", 3,
                &["papeleria", "papel", "toner", "boligrafo", "oficina", "sobres", "impresion",
                  "stationery", "office", "paper", "printing", "envelopes", "staples", "viking"]),
            cat("Tecnología y software", "Licencias, equipos informáticos, hosting y servicios en la nube", 3,
                &["software", "licencia", "ordenador", "portatil", "hosting", "cloud", "nube", "microsoft",
                  "adobe", "google", "amazon web services", "computer", "laptop", "it services", "dell",
                  "apple", "subscription", "suscripcion"]),
            cat("Suministros", "Electricidad, agua, gas, teléfono e internet", 3,
                &["electricidad", "luz", "agua", "gas", "telefono", "internet", "movil", "fibra",
                  "iberdrola", "endesa", "telefonica", "movistar", "vodafone", "orange", "electricity",
                  "water", "phone", "mobile", "broadband", "utilities", "energy"]),
            cat("Servicios profesionales", "Asesoría, abogados, notarías, consultoría, auditoría y formación", 2,
                &["asesoria", "abogado", "notario", "notaria", "consultoria", "auditoria", "gestoria",
                  "formacion", "consulting", "legal", "solicitor", "audit", "training", "accountancy"]),
            cat("Otros gastos", "Cualquier gasto que no encaja en las categorías anteriores", 0, &[]),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_prompt_numbers_categories_and_lists_keywords() {
        let cats = vec![
            Category { name: "Pop".into(), description: "Música".into(), keywords: vec!["disco".into(), "cd".into()], priority: 0 },
            Category { name: "Otros".into(), description: "Resto".into(), keywords: vec![], priority: 0 },
        ];
        let text = compile_prompt("Clasifica.", &cats);
        assert!(text.starts_with("Clasifica.\n\nCATEGORÍAS Y REGLAS:\n1. Pop - Música\n   Keywords: disco, cd\n2. Otros - Resto\n"));
        assert!(text.contains("row_index"));
        assert!(!text.contains("2. Otros - Resto\n   Keywords"));
    }

    #[test]
    fn default_prompt_has_unique_category_names() {
        let p = default_prompt();
        let mut names: Vec<_> = p.categories.iter().map(|c| c.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), p.categories.len());
    }
}
