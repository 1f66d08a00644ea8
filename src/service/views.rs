//! Saved views (issue 16), per user: the service's user owns the views it reads and writes.

use super::{AlertService, ServiceError};
use crate::domain::{SavedView, ViewSpec};

impl AlertService {
    /// The user's saved views, by name.
    pub async fn views(&self) -> Result<Vec<SavedView>, ServiceError> {
        todo!("issue 16: service views")
    }

    /// Saves a view under `name` for the user, replacing the user's view of that name. The name
    /// is 1–40 characters without whitespace or control characters.
    pub async fn save_view(&self, name: &str, spec: &ViewSpec) -> Result<SavedView, ServiceError> {
        let _ = (name, spec);
        todo!("issue 16: service save_view")
    }

    /// Deletes the user's view `name`; `false` when there was none.
    pub async fn delete_view(&self, name: &str) -> Result<bool, ServiceError> {
        let _ = name;
        todo!("issue 16: service delete_view")
    }
}
