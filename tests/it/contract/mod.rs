//! The API's contract, checked from its own OpenAPI document: every answer a test receives must
//! have a status the document declares for that operation and a body that validates against the
//! declared schema. A path the document knows with an undeclared method must answer 405, an
//! unknown path 404, both with the error body.

use jsonschema::Validator;
use serde_json::{Value, json};

/// The document and the answers it allows.
pub struct Contract {
    doc: Value,
}

impl Contract {
    /// The contract of the document the server generates.
    pub fn generated() -> Self {
        use utoipa::OpenApi;
        Contract::from_doc(serde_json::to_value(oddswatch::api::ApiDoc::openapi()).unwrap())
    }

    /// The contract of `doc` (an OpenAPI 3.1 document as JSON).
    pub fn from_doc(doc: Value) -> Self {
        Contract { doc }
    }

    /// The document's path template that serves `path` (query string ignored), preferring the
    /// template with the most literal segments, as the router does.
    fn template(&self, path: &str) -> Option<&str> {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        self.doc["paths"]
            .as_object()?
            .keys()
            .filter(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                parts.len() == segments.len()
                    && parts.iter().zip(&segments).all(|(t, s)| {
                        (t.starts_with('{') && t.ends_with('}') && !s.is_empty()) || t == s
                    })
            })
            .max_by_key(|template| template.split('/').filter(|t| !t.starts_with('{')).count())
            .map(String::as_str)
    }

    fn validator(&self, schema: &Value) -> Validator {
        let mut root = match schema {
            Value::Object(_) => schema.clone(),
            _ => json!({ "allOf": [schema] }),
        };
        root["components"] = self.doc["components"].clone();
        jsonschema::draft202012::new(&root).expect("the document's schemas compile")
    }

    fn check_error_body(&self, body: &Value) -> Result<(), String> {
        let schema = json!({ "$ref": "#/components/schemas/ErrorBody" });
        self.validator(&schema)
            .validate(body)
            .map_err(|e| format!("error body {body} does not match ErrorBody: {e}"))
    }

    /// Checks one answer: `Err` says what the document and the server disagree on.
    pub fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), String> {
        let what = format!("{method} {path} -> {status}");
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let is_json = content_type.is_some_and(|c| c.starts_with("application/json"));
        let Some(template) = self.template(path) else {
            // The router's fallback: not part of any operation.
            return match (status, parsed) {
                (404, Some(body)) if is_json => self.check_error_body(&body),
                _ => Err(format!("{what}: an unknown path must answer a JSON 404")),
            };
        };
        let Some(operation) = self.doc["paths"][template].get(method.to_ascii_lowercase()) else {
            return match (status, parsed) {
                (405, Some(body)) if is_json => self.check_error_body(&body),
                _ => Err(format!(
                    "{what}: {template} declares no {method}, so the answer must be a JSON 405"
                )),
            };
        };
        let Some(response) = operation["responses"].get(status.to_string()) else {
            let declared: Vec<&String> = operation["responses"]
                .as_object()
                .map(|r| r.keys().collect())
                .unwrap_or_default();
            return Err(format!(
                "{what}: status {status} is not declared for {method} {template} (declared: {declared:?})"
            ));
        };
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return if body.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{what}: the document declares no body, got {} bytes",
                    body.len()
                ))
            };
        };
        let media = content_type
            .and_then(|c| c.split(';').next())
            .map(str::trim)
            .unwrap_or_default();
        let Some(declared) = content.get(media) else {
            return Err(format!(
                "{what}: content type {media:?} is not declared (declared: {:?})",
                content.keys().collect::<Vec<_>>()
            ));
        };
        if media != "application/json" {
            return Ok(());
        }
        let Some(body) = parsed else {
            return Err(format!(
                "{what}: the body is not JSON: {:?}",
                String::from_utf8_lossy(body)
            ));
        };
        let validator = self.validator(&declared["schema"]);
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{what}: the body does not match the document: {}",
                errors.join("; ")
            ))
        }
    }
}

/// The checker refuses what it should, so a test passing through it means something.
pub fn self_test() {
    let contract = Contract::generated();
    let json = Some("application/json");
    let error = br#"{"error": "no"}"#;
    assert!(
        contract
            .check("GET", "/api/alerts/stats", 418, json, error)
            .is_err()
    );
    assert!(
        contract
            .check("GET", "/api/alerts/stats", 200, json, br#"{"total": 1}"#)
            .is_err(),
        "a stats body without its maps must be refused"
    );
    assert!(
        contract
            .check("GET", "/api/alerts/7", 404, json, br#"{"message": "x"}"#)
            .is_err()
    );
    assert!(
        contract
            .check("GET", "/api/alerts/7", 404, json, error)
            .is_ok()
    );
    assert!(
        contract
            .check("GET", "/api/alerts/7", 404, Some("text/plain"), b"gone")
            .is_err()
    );
    assert!(
        contract
            .check("DELETE", "/api/alerts/7", 405, json, error)
            .is_ok()
    );
    assert!(
        contract
            .check("DELETE", "/api/alerts/7", 200, json, error)
            .is_err()
    );
    assert!(
        contract
            .check("GET", "/api/nothing", 404, json, error)
            .is_ok()
    );
    assert!(
        contract
            .check("GET", "/api/nothing", 404, None, b"")
            .is_err()
    );
    assert_eq!(
        contract.template("/api/alerts/stats"),
        Some("/api/alerts/stats")
    );
    assert_eq!(
        contract.template("/api/alerts/12?x=1"),
        Some("/api/alerts/{id}")
    );
    assert_eq!(
        contract.template("/api/events/3/alerts"),
        Some("/api/events/{id}/alerts")
    );
}
