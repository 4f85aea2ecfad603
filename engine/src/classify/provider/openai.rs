//! Any OpenAI-compatible chat-completions server (OpenAI, Azure, Gemini's compatible endpoint,
//! Ollama, vLLM) through async-openai. Our own HTTP service sits under the client so that a 429's
//! `Retry-After` and a 5xx's status reach the retry logic, which async-openai's errors do not carry.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::HttpRequestFactory;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage, CreateChatCompletionRequestArgs,
    ResponseFormat, ResponseFormatJsonSchema,
};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use super::{CallError, ChunkAnswer, ChunkRequest, Provider};
use crate::classify::protocol::{answer_schema, parse_answer, user_message};

/// Where the server is and how to sign in; the key never leaves this struct in logs.
#[derive(Clone)]
pub struct OpenAiConfig {
    pub base_url: String,
    pub api_key: Option<SecretString>,
}

impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig").field("base_url", &self.base_url).field("api_key", &self.api_key.as_ref().map(|_| "***")).finish()
    }
}

pub struct OpenAiProvider {
    client: Client<OpenAIConfig>,
    /// Cleared the first time the server refuses `json_schema`; later calls ask for plain JSON.
    structured: Arc<AtomicBool>,
}

/// A failed HTTP answer, carried through async-openai as a boxed error.
#[derive(Debug)]
struct HttpFailure {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}: {}", self.status, self.body)
    }
}

impl std::error::Error for HttpFailure {}

impl OpenAiProvider {
    pub fn new(config: &OpenAiConfig, timeout: Duration) -> Result<Self, String> {
        // reqwest is built without a default TLS backend; use the ring provider sqlx already links.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let service = tower::service_fn(move |factory: HttpRequestFactory| {
            let http = http.clone();
            async move {
                let request = factory.build().await?;
                let response = http.execute(request).await.map_err(OpenAIError::Reqwest)?;
                let status = response.status();
                if status.is_success() {
                    return Ok(response);
                }
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(crate::retry::parse_retry_after);
                let body: String = response.text().await.unwrap_or_default().chars().take(500).collect();
                Err(OpenAIError::Boxed(Box::new(HttpFailure { status: status.as_u16(), retry_after, body })))
            }
        });
        let base = config.base_url.trim_end_matches('/').to_string();
        let mut cfg = OpenAIConfig::new().with_api_base(base);
        cfg = cfg.with_api_key(config.api_key.as_ref().map(|k| k.expose_secret().to_string()).unwrap_or_default());
        Ok(Self {
            client: Client::with_config(cfg).with_http_service(service),
            structured: Arc::new(AtomicBool::new(true)),
        })
    }

    async fn call(&self, request: &ChunkRequest, structured: bool) -> Result<ChunkAnswer, CallError> {
        let format = if structured {
            ResponseFormat::JsonSchema {
                json_schema: ResponseFormatJsonSchema {
                    description: Some("One classification per input line, keyed by row_index".into()),
                    name: "classifications".into(),
                    schema: answer_schema(&request.categories),
                    strict: Some(true),
                },
            }
        } else {
            ResponseFormat::JsonObject
        };
        let mut messages: Vec<ChatCompletionRequestMessage> = vec![ChatCompletionRequestSystemMessage::from(request.system.as_str()).into()];
        if let Some(examples) = &request.examples {
            messages.push(ChatCompletionRequestSystemMessage::from(examples.as_str()).into());
        }
        messages.push(ChatCompletionRequestUserMessage::from(user_message(&request.lines)).into());
        let body = CreateChatCompletionRequestArgs::default()
            .model(request.model.clone())
            .temperature(request.temperature)
            .response_format(format)
            .messages(messages)
            .build()
            .map_err(|e| CallError::Refused { status: None, message: e.to_string() })?;
        let chat = self.client.chat();
        let call = chat.create(body);
        let response = match tokio::time::timeout(request.timeout, call).await {
            Err(_) => return Err(CallError::Timeout(format!("{:.1} s passed", request.timeout.as_secs_f64()))),
            Ok(r) => r.map_err(classify_error)?,
        };
        let (tokens_in, tokens_out) = response
            .usage
            .as_ref()
            .map(|u| (u.prompt_tokens as i64, u.completion_tokens as i64))
            .unwrap_or((0, 0));
        let choice = response.choices.into_iter().next();
        let content = choice.as_ref().and_then(|c| c.message.content.clone());
        let Some(content) = content else {
            let refusal = choice.and_then(|c| c.message.refusal).unwrap_or_else(|| "empty answer".into());
            return Err(CallError::Malformed { message: refusal, tokens_in, tokens_out });
        };
        match parse_answer(&content) {
            Ok(results) => Ok(ChunkAnswer { results, tokens_in, tokens_out }),
            Err(message) => Err(CallError::Malformed { message, tokens_in, tokens_out }),
        }
    }
}

impl Provider for OpenAiProvider {
    fn classify<'a>(&'a self, request: &'a ChunkRequest) -> BoxFuture<'a, Result<ChunkAnswer, CallError>> {
        Box::pin(async move {
            let structured = self.structured.load(Ordering::Relaxed);
            match self.call(request, structured).await {
                // Servers without structured output answer 400 naming response_format: ask again for
                // plain JSON, and keep doing so for this run.
                Err(CallError::Refused { status: Some(400), message })
                    if structured && (message.contains("response_format") || message.contains("json_schema")) =>
                {
                    tracing::info!("server does not take a JSON schema; asking for plain JSON");
                    self.structured.store(false, Ordering::Relaxed);
                    self.call(request, false).await
                }
                other => other,
            }
        })
    }
}

fn classify_error(e: OpenAIError) -> CallError {
    match e {
        OpenAIError::Boxed(inner) => match inner.downcast::<HttpFailure>() {
            Ok(f) => match f.status {
                429 => CallError::RateLimited { retry_after: f.retry_after, message: f.body },
                408 => CallError::Timeout(f.body),
                s if s >= 500 => CallError::Server { status: s, message: f.body },
                s => CallError::Refused { status: Some(s), message: f.body },
            },
            Err(other) => CallError::Server { status: 0, message: other.to_string() },
        },
        OpenAIError::Reqwest(e) if e.is_timeout() => CallError::Timeout(e.to_string()),
        OpenAIError::Reqwest(e) => CallError::Timeout(format!("connection failed: {e}")),
        OpenAIError::JSONDeserialize(e, body) => CallError::Malformed {
            message: format!("{e}: {}", body.chars().take(200).collect::<String>()),
            tokens_in: 0,
            tokens_out: 0,
        },
        OpenAIError::ApiError(api) => {
            let status = api.status_code.as_u16();
            match status {
                429 => CallError::RateLimited { retry_after: None, message: api.to_string() },
                s if s >= 500 => CallError::Server { status: s, message: api.to_string() },
                s => CallError::Refused { status: Some(s), message: api.to_string() },
            }
        }
        other => CallError::Refused { status: None, message: other.to_string() },
    }
}
