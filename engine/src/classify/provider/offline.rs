//! The offline classifier as a provider: no network, no tokens, answers in the model's format.

use std::time::Duration;

use futures::future::BoxFuture;

use super::{CallError, ChunkAnswer, ChunkRequest, Provider};
use crate::classify::learned::LearnedClassifier;
use crate::classify::protocol::ResultIn;

pub struct OfflineProvider {
    classifier: LearnedClassifier,
    /// Rehearses a slow model (demos, crash tests).
    delay: Duration,
}

impl OfflineProvider {
    pub fn new(classifier: LearnedClassifier, delay: Duration) -> Self {
        Self { classifier, delay }
    }
}

impl Provider for OfflineProvider {
    fn classify<'a>(&'a self, request: &'a ChunkRequest) -> BoxFuture<'a, Result<ChunkAnswer, CallError>> {
        Box::pin(async move {
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            let results = request
                .lines
                .iter()
                .map(|l| {
                    let c = self.classifier.classify(&l.text);
                    ResultIn {
                        row_index: Some(l.row_index.into()),
                        category: Some(c.category),
                        score: serde_json::Number::from_f64(c.score).map(serde_json::Value::Number),
                        reason: Some(c.reason),
                        description: None,
                    }
                })
                .collect();
            Ok(ChunkAnswer { results, tokens_in: 0, tokens_out: 0 })
        })
    }
}
