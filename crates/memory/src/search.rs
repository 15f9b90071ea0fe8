//! Hybrid search over one agent's index, with OpenClaw's builtin ranking: vector similarity
//! (weight 0.7) and BM25 (weight 0.3, relative to the best match) over `maxResults × 4` candidates from each, a 30-day
//! half-life for dated daily notes (`MEMORY.md`, `USER.md` and undated files do not decay),
//! MMR re-ordering (λ 0.7, Jaccard over snippet words) against near-duplicate snippets, then
//! `minScore` — with keyword matches kept when nothing reaches it, and used to fill the
//! remaining slots of a hybrid search.
//!
//! Words always work: without an embedder, or when embedding the query fails, the search is by
//! words alone and says so (`mode`, `warning`).

use std::collections::HashMap;

use rustyclaw_store::ChunkHit;

use crate::agent::{AgentMemory, MemoryError};
use crate::embed::QUERY;
use crate::settings::ProviderChoice;

/// Weight of vector similarity in a hybrid score.
const VECTOR_WEIGHT: f64 = 0.7;
/// Weight of the word score in a hybrid score.
const TEXT_WEIGHT: f64 = 0.3;
/// Candidates taken from each side per result asked for.
const CANDIDATE_MULTIPLIER: usize = 4;
/// Half-life of dated notes, in days.
const HALF_LIFE_DAYS: f64 = 30.0;
/// MMR's balance of relevance against novelty.
const MMR_LAMBDA: f64 = 0.7;
/// The longest snippet returned.
const SNIPPET_MAX_CHARS: usize = 700;

/// One result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// The file (workspace-relative, or absolute for extra paths).
    pub path: String,
    /// First line of the chunk.
    pub start_line: u32,
    /// Last line.
    pub end_line: u32,
    /// Relevance, 0–1.
    pub score: f64,
    /// The chunk's text, shortened.
    pub snippet: String,
    /// `memory`.
    pub source: String,
}

/// How a search was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMode {
    /// Words and meaning.
    Hybrid,
    /// Words only (no embedder, or it failed).
    Fts,
}

impl SearchMode {
    /// Its name in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hybrid => "hybrid",
            Self::Fts => "fts",
        }
    }
}

/// A search's results and how they were found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOutcome {
    /// Best first.
    pub hits: Vec<SearchHit>,
    /// How.
    pub mode: SearchMode,
    /// The embedding provider, when one was used or configured.
    pub provider: Option<String>,
    /// Its model.
    pub model: Option<String>,
    /// Something the user should be told (embedding failed, index being rebuilt).
    pub warning: Option<String>,
    /// Vectors are missing for part of the index.
    pub stale: bool,
}

/// Search parameters.
#[derive(Debug, Clone, Copy)]
pub struct SearchRequest<'a> {
    /// The query.
    pub query: &'a str,
    /// At most this many results.
    pub max_results: usize,
    /// Lowest score kept.
    pub min_score: f64,
    /// Today, Unix ms (for the decay of dated notes).
    pub now_ms: i64,
}

/// Searches `memory`.
pub async fn search(
    memory: &AgentMemory,
    request: SearchRequest<'_>,
) -> Result<SearchOutcome, MemoryError> {
    let candidates = request.max_results.max(1) * CANDIDATE_MULTIPLIER;
    let lexical = lexical_hits(memory, request.query, candidates).await?;
    // A provider the configuration names but that cannot be used is said with every search;
    // no provider at all (nothing configured) is the quiet words-only default.
    let mut warning = match (&memory.embedder, &memory.settings.provider) {
        (None, ProviderChoice::Named(_) | ProviderChoice::Local) => memory.embedder_note.clone(),
        _ => None,
    };
    let mut vector: Vec<ChunkHit> = Vec::new();
    let mut mode = SearchMode::Fts;
    if let Some(embedder) = &memory.embedder {
        match embedder.embed(&[request.query.to_owned()], QUERY).await {
            Ok(mut vectors) => {
                if let Some(query) = vectors.pop() {
                    vector = memory
                        .index
                        .nearest(query, embedder.model(), candidates)
                        .await?;
                    mode = SearchMode::Hybrid;
                }
            }
            Err(error) => {
                warning = Some(format!(
                    "semantic search is unavailable ({error}); these results match words only"
                ));
            }
        }
    }
    let stale = memory.is_stale();
    if stale && mode == SearchMode::Hybrid {
        warning.get_or_insert_with(|| {
            "the memory index is being rebuilt: some notes are found by words only until it is done".to_owned()
        });
    }
    let hits = rank(&lexical, &vector, mode, &request);
    Ok(SearchOutcome {
        hits,
        mode,
        provider: memory.embedder.as_ref().map(|e| e.provider().to_owned()),
        model: memory.embedder.as_ref().map(|e| e.model().to_owned()),
        warning,
        stale,
    })
}

/// Word matches: every word first, any word when that finds nothing.
async fn lexical_hits(
    memory: &AgentMemory,
    query: &str,
    limit: usize,
) -> Result<Vec<ChunkHit>, MemoryError> {
    let tokens = query_tokens(query);
    if tokens.is_empty() {
        return Ok(Vec::new());
    }
    let quoted: Vec<String> = tokens
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "")))
        .collect();
    let all = memory.index.lexical(&quoted.join(" AND "), limit).await?;
    if !all.is_empty() || quoted.len() == 1 {
        return Ok(all);
    }
    let content: Vec<&String> = tokens
        .iter()
        .zip(&quoted)
        .filter(|(t, _)| !is_stopword(t))
        .map(|(_, q)| q)
        .collect();
    if content.is_empty() {
        return Ok(Vec::new());
    }
    let any = content
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" OR ");
    Ok(memory.index.lexical(&any, limit).await?)
}

/// Letters, digits and `_` runs, lower-cased.
fn query_tokens(query: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in query.chars() {
        if c.is_alphanumeric() || c == '_' {
            current.extend(c.to_lowercase());
        } else if !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens.dedup();
    tokens
}

fn is_stopword(word: &str) -> bool {
    const STOP: &[&str] = &[
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "did", "do", "does", "for", "from",
        "had", "has", "have", "how", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on",
        "or", "our", "so", "that", "the", "their", "them", "there", "this", "to", "was", "we",
        "were", "what", "when", "where", "which", "who", "why", "will", "with", "you", "your",
        "about", "any", "can", "could", "should", "would",
    ];
    STOP.contains(&word)
}

/// BM25 ranks (lower is better, negative) to 0–1 scores relative to the best match: BM25's
/// absolute values shrink toward zero in a small corpus (a personal memory of a few files),
/// where an exact keyword match should still count.
fn text_scores(lexical: &[ChunkHit]) -> HashMap<i64, f64> {
    let best = lexical
        .iter()
        .map(|h| -h.score)
        .filter(|r| r.is_finite())
        .fold(0.0f64, f64::max);
    lexical
        .iter()
        .map(|h| {
            let relevance = -h.score;
            let score = if best > 0.0 && relevance.is_finite() {
                (relevance / best).clamp(0.0, 1.0)
            } else {
                // Every rank is zero (or not a number): the matches are equally good.
                1.0
            };
            (h.id, score)
        })
        .collect()
}

struct Candidate<'a> {
    chunk: &'a ChunkHit,
    vector: Option<f64>,
    text: Option<f64>,
    score: f64,
}

fn rank(
    lexical: &[ChunkHit],
    vector: &[ChunkHit],
    mode: SearchMode,
    request: &SearchRequest<'_>,
) -> Vec<SearchHit> {
    let mut by_id: HashMap<i64, Candidate<'_>> = HashMap::new();
    for hit in vector {
        by_id.insert(
            hit.id,
            Candidate {
                chunk: hit,
                vector: Some(hit.score.max(0.0)),
                text: None,
                score: 0.0,
            },
        );
    }
    let text = text_scores(lexical);
    for hit in lexical {
        by_id
            .entry(hit.id)
            .or_insert(Candidate {
                chunk: hit,
                vector: None,
                text: None,
                score: 0.0,
            })
            .text = text.get(&hit.id).copied();
    }
    let mut candidates: Vec<Candidate<'_>> = by_id.into_values().collect();
    for c in &mut candidates {
        let relevance = match mode {
            SearchMode::Hybrid => {
                VECTOR_WEIGHT * c.vector.unwrap_or(0.0) + TEXT_WEIGHT * c.text.unwrap_or(0.0)
            }
            SearchMode::Fts => c.text.unwrap_or(0.0),
        };
        c.score = relevance * decay(&c.chunk.path, request.now_ms);
    }
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.chunk.id.cmp(&b.chunk.id))
    });
    if mode == SearchMode::Hybrid {
        candidates = mmr(candidates);
    }
    let max = request.max_results.max(1);
    let mut chosen: Vec<&Candidate<'_>> = candidates
        .iter()
        .filter(|c| c.score >= request.min_score)
        .take(max)
        .collect();
    // Keyword matches fill what the threshold left empty.
    if chosen.len() < max {
        let mut keyword: Vec<&Candidate<'_>> = candidates
            .iter()
            .filter(|c| c.text.is_some() && c.score < request.min_score)
            .collect();
        keyword.sort_by(|a, b| b.text.unwrap_or(0.0).total_cmp(&a.text.unwrap_or(0.0)));
        chosen.extend(keyword.into_iter().take(max - chosen.len()));
    }
    chosen
        .into_iter()
        .map(|c| SearchHit {
            path: c.chunk.path.clone(),
            start_line: c.chunk.start_line,
            end_line: c.chunk.end_line,
            score: (c.score * 10_000.0).round() / 10_000.0,
            snippet: snippet(&c.chunk.text),
            source: c.chunk.source.clone(),
        })
        .collect()
}

/// Re-orders candidates so each next one balances its score against its overlap with those
/// already chosen.
///
/// Each candidate's words are hashed once into a sorted list, and each one's largest overlap
/// with the chosen ones is kept up to date as they are picked: one Jaccard comparison per pair
/// of candidates, instead of one per pair at every pick (which, with 48 candidates of ~400
/// words, cost tens of milliseconds a search).
fn mmr(candidates: Vec<Candidate<'_>>) -> Vec<Candidate<'_>> {
    let words: Vec<Vec<u64>> = candidates
        .iter()
        .map(|c| word_hashes(&c.chunk.text))
        .collect();
    let mut remaining: Vec<usize> = (0..candidates.len()).collect();
    let mut overlap = vec![0.0f64; candidates.len()];
    let mut order: Vec<usize> = Vec::with_capacity(candidates.len());
    while !remaining.is_empty() {
        let (pick, _) = remaining
            .iter()
            .enumerate()
            .map(|(slot, &i)| {
                (
                    slot,
                    MMR_LAMBDA * candidates[i].score - (1.0 - MMR_LAMBDA) * overlap[i],
                )
            })
            .fold((0, f64::NEG_INFINITY), |best, next| {
                if next.1 > best.1 { next } else { best }
            });
        let chosen = remaining.remove(pick);
        for &i in &remaining {
            overlap[i] = overlap[i].max(jaccard(&words[i], &words[chosen]));
        }
        order.push(chosen);
    }
    let mut slots: Vec<Option<Candidate<'_>>> = candidates.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The distinct words of `text` (as [`query_tokens`] finds them), hashed and sorted.
fn word_hashes(text: &str) -> Vec<u64> {
    use std::hash::{Hash, Hasher};
    let mut hashes: Vec<u64> = query_tokens(text)
        .iter()
        .map(|word| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            word.hash(&mut hasher);
            hasher.finish()
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// Jaccard similarity of two sorted, distinct lists.
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        return 0.0;
    }
    common as f64 / union as f64
}

/// The decay factor of a file: dated notes (`YYYY-MM-DD.md`, `YYYY-MM-DD-slug.md`) lose half
/// their weight every 30 days; other files do not decay.
fn decay(path: &str, now_ms: i64) -> f64 {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some(days) = date_of(name) else {
        return 1.0;
    };
    let age_days = ((now_ms / 86_400_000) - days).max(0) as f64;
    0.5f64.powf(age_days / HALF_LIFE_DAYS)
}

/// Days since 1970 of a `YYYY-MM-DD…md` file name.
fn date_of(name: &str) -> Option<i64> {
    let stem = name.strip_suffix(".md")?;
    let date = stem.get(..10)?;
    let rest = &stem[10..];
    if !(rest.is_empty() || rest.starts_with('-')) {
        return None;
    }
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || date.len() != 10 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn snippet(text: &str) -> String {
    let trimmed = text.trim_end();
    if trimmed.chars().count() <= SNIPPET_MAX_CHARS {
        return trimmed.to_owned();
    }
    let cut: String = trimmed.chars().take(SNIPPET_MAX_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: i64, path: &str, text: &str, score: f64) -> ChunkHit {
        ChunkHit {
            id,
            path: path.into(),
            source: "memory".into(),
            start_line: 1,
            end_line: 2,
            text: text.into(),
            score,
        }
    }

    fn request(now_ms: i64) -> SearchRequest<'static> {
        SearchRequest {
            query: "q",
            max_results: 3,
            min_score: 0.35,
            now_ms,
        }
    }

    #[test]
    fn dated_notes_decay_with_a_thirty_day_half_life() {
        let day = 86_400_000i64;
        let now = date_of("2026-12-07.md").unwrap() * day;
        assert!((decay("memory/2026-11-07.md", now) - 0.5).abs() < 1e-9);
        assert!((decay("memory/2026-12-07-standup.md", now) - 1.0).abs() < 1e-9);
        assert_eq!(decay("MEMORY.md", now), 1.0);
        assert_eq!(decay("memory/projects.md", now), 1.0);
        assert_eq!(date_of("1970-01-01.md"), Some(0));
    }

    #[test]
    fn hybrid_scores_weigh_meaning_over_words_and_keywords_fill_the_rest() {
        let vector = vec![
            hit(1, "MEMORY.md", "likes oat milk", 0.9),
            hit(2, "MEMORY.md", "car is blue", 0.1),
        ];
        let lexical = vec![hit(3, "MEMORY.md", "exact token ABC-123", -2.0)];
        let hits = rank(&lexical, &vector, SearchMode::Hybrid, &request(0));
        assert_eq!(hits[0].snippet, "likes oat milk");
        assert!((hits[0].score - 0.63).abs() < 1e-3, "{}", hits[0].score);
        assert_eq!(
            hits.len(),
            2,
            "the weak vector hit is below minScore; the keyword hit fills in"
        );
        assert_eq!(hits[1].snippet, "exact token ABC-123");
    }

    #[test]
    fn words_only_keeps_matches_below_the_threshold() {
        let lexical = vec![
            hit(1, "memory/a.md", "weak", -0.2),
            hit(2, "memory/b.md", "strong", -4.0),
        ];
        let hits = rank(&lexical, &[], SearchMode::Fts, &request(0));
        assert_eq!(
            hits.iter().map(|h| h.snippet.as_str()).collect::<Vec<_>>(),
            ["strong", "weak"]
        );
    }

    #[test]
    fn mmr_moves_near_duplicates_down() {
        let vector = vec![
            hit(1, "a.md", "router config uses port 8080", 0.90),
            hit(2, "b.md", "router config uses port 8080 too", 0.89),
            hit(3, "c.md", "backup runs nightly at two", 0.80),
        ];
        let hits = rank(
            &[],
            &vector,
            SearchMode::Hybrid,
            &SearchRequest {
                min_score: 0.0,
                ..request(0)
            },
        );
        assert_eq!(hits[1].path, "c.md", "{hits:?}");
    }

    /// MMR by its definition: at every pick, each remaining candidate's overlap with every
    /// chosen one, over word sets.
    fn mmr_by_definition(candidates: &[Candidate<'_>]) -> Vec<i64> {
        use std::collections::HashSet;
        let words: Vec<HashSet<String>> = candidates
            .iter()
            .map(|c| query_tokens(&c.chunk.text).into_iter().collect())
            .collect();
        let jaccard = |a: &HashSet<String>, b: &HashSet<String>| {
            let union = a.union(b).count();
            if union == 0 {
                0.0
            } else {
                a.intersection(b).count() as f64 / union as f64
            }
        };
        let mut remaining: Vec<usize> = (0..candidates.len()).collect();
        let mut order: Vec<usize> = Vec::new();
        while !remaining.is_empty() {
            let (pick, _) = remaining
                .iter()
                .enumerate()
                .map(|(slot, &i)| {
                    let overlap = order
                        .iter()
                        .map(|&j| jaccard(&words[i], &words[j]))
                        .fold(0.0, f64::max);
                    (
                        slot,
                        MMR_LAMBDA * candidates[i].score - (1.0 - MMR_LAMBDA) * overlap,
                    )
                })
                .fold((0, f64::NEG_INFINITY), |best, next| {
                    if next.1 > best.1 { next } else { best }
                });
            order.push(remaining.remove(pick));
        }
        order.into_iter().map(|i| candidates[i].chunk.id).collect()
    }

    #[test]
    fn mmr_picks_in_the_order_its_definition_gives() {
        let vocabulary = [
            "router", "port", "backup", "tea", "green", "morning", "dentist", "friday", "car",
            "bay", "garden", "shed", "paint", "spring", "invoice", "march",
        ];
        let chunks: Vec<ChunkHit> = (0..40i64)
            .map(|i| {
                let text: Vec<&str> = (0..12)
                    .map(|k| vocabulary[((i * 7 + k * k * 3 + k) % 16) as usize])
                    .collect();
                hit(i, "m.md", &text.join(" "), 1.0 - (i % 9) as f64 * 0.07)
            })
            .collect();
        let candidates: Vec<Candidate<'_>> = chunks
            .iter()
            .map(|c| Candidate {
                chunk: c,
                vector: Some(c.score),
                text: None,
                score: c.score,
            })
            .collect();
        let expected = mmr_by_definition(&candidates);
        let fast: Vec<i64> = mmr(candidates).iter().map(|c| c.chunk.id).collect();
        assert_eq!(fast, expected);
    }

    #[test]
    fn queries_become_tokens() {
        assert_eq!(
            query_tokens("What's my WiFi password?"),
            ["what", "s", "my", "wifi", "password"]
        );
    }
}
