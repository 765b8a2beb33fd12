-- schema.sql - the revlab store, read top to bottom in the order the data
-- flows: reviews -> tokens/vectors -> labels, seeds, rules, rule hits ->
-- neighbours -> propagated labels -> models -> predictions; runs records
-- every stage. The library embeds this file at build time (src/embed.py)
-- and applies it to a new store. Bump user_version with any change, and
-- teach store.c to upgrade from the previous version.

PRAGMA user_version = 5;

-- Settings that the stored data depends on, e.g. the fingerprint of the
-- tokenizer that made review_tokens. A stage compares and redoes its work
-- when its inputs' settings changed.
CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per stage run: what ran, with which parameters, how long, and
-- what it counted. status is 'ok' once the run committed.
CREATE TABLE runs (
	id INTEGER PRIMARY KEY,
	stage TEXT NOT NULL,
	started TEXT NOT NULL,          -- UTC, ISO 8601
	seconds REAL,
	params TEXT NOT NULL DEFAULT '{}',  -- JSON object
	counts TEXT NOT NULL DEFAULT '{}',  -- JSON object
	status TEXT NOT NULL DEFAULT 'running'
);
CREATE INDEX runs_stage ON runs(stage, id);

-- The reviews, text exactly as imported. ext_id is the user's id;
-- id is revlab's own and what every other table refers to.
CREATE TABLE reviews (
	id INTEGER PRIMARY KEY,
	ext_id TEXT NOT NULL UNIQUE,
	text TEXT NOT NULL,
	meta TEXT NOT NULL DEFAULT '{}',  -- JSON object of the other columns
	source TEXT,                    -- file it came from
	source_line INTEGER,            -- line its record started on
	import_run INTEGER REFERENCES runs(id)
);

-- The tokenizer's vocabulary: every distinct normalised token.
CREATE TABLE terms (
	id INTEGER PRIMARY KEY,
	term TEXT NOT NULL UNIQUE
);

-- Each review's tokens in order, as a blob of LEB128 varints of terms.id,
-- so later stages can form n-grams. Deleted when the review's text
-- changes; missing rows are what `revlab tokenize` fills in.
CREATE TABLE review_tokens (
	review_id INTEGER PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE,
	n_tokens INTEGER NOT NULL,
	tokens BLOB NOT NULL
);

-- The vectorizer's features: unigrams (term_b NULL) and bigrams of terms,
-- with their document frequency and idf; id is the column in the vectors.
CREATE TABLE features (
	id INTEGER PRIMARY KEY,         -- column index in the vectors, from 0
	term_a INTEGER NOT NULL,        -- terms.id
	term_b INTEGER,                 -- terms.id, or NULL for a unigram
	feature TEXT NOT NULL,          -- readable: 'price' or 'good price'
	df INTEGER NOT NULL,
	idf REAL NOT NULL
);

-- The LSA projection fitted with the features: float32 components,
-- row-major, host byte order, and the singular values. LSA is fitted on
-- the most frequent features only and the other rows are zero, so cols
-- (version 2) lists, as uint32, the features whose rows components holds
-- ([length of cols][dim]); with cols NULL it holds all ([n_features][dim]).
CREATE TABLE projection (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	dim INTEGER NOT NULL,
	n_features INTEGER NOT NULL,
	components BLOB NOT NULL,
	sigma BLOB NOT NULL,
	cols BLOB
);

-- One vector per review and kind: 'tfidf' is sparse, a blob of (varint
-- column delta, float32 value) pairs; 'lsa' is dense, dim float32 values.
-- Both L2-normalised, host byte order. Loaded in bulk into flat arrays.
CREATE TABLE vectors (
	review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	dim INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (review_id, kind)
) WITHOUT ROWID;

-- The label set. A label exists once declared or first used.
CREATE TABLE labels (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Human evidence. origin 'hand' is a person's label (the only gold there
-- is); 'cluster' was made by naming a cluster and is never scored as gold.
-- The key allows several labels per review, for multi-label use later.
CREATE TABLE seeds (
	review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
	label_id INTEGER NOT NULL REFERENCES labels(id),
	origin TEXT NOT NULL DEFAULT 'hand' CHECK (origin IN ('hand', 'cluster')),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	PRIMARY KEY (review_id, label_id)
) WITHOUT ROWID;

-- What each person said: one row per hand label an annotator gave a
-- review (annotator '' is the unnamed one: every hand label of a store
-- made before version 4, and those set without a name). The hand labels
-- above (seeds of origin 'hand'), which every later stage reads, are
-- derived from these rows review by review, whenever one changes (the
-- policy is in docs/design.md): single-label, the label most of the
-- review's annotators gave, a tie going to the tied label given last;
-- multi-label, each label a majority of the review's annotators gave
-- (an annotator of a review gave it at least one label), a tie going
-- as the review's last answer went. id orders the answers: a later
-- answer has a larger id. Added in version 4.
CREATE TABLE annotations (
	id INTEGER PRIMARY KEY,
	review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
	label_id INTEGER NOT NULL REFERENCES labels(id),
	annotator TEXT NOT NULL DEFAULT '',
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	UNIQUE (review_id, label_id, annotator)
);
CREATE INDEX annotations_annotator ON annotations(annotator, review_id);

-- Keyword rules: a PCRE2 pattern voting for (or, negate = 1, against) a
-- label, with a weight. line is where it stood in the rules file.
CREATE TABLE rules (
	id INTEGER PRIMARY KEY,
	line INTEGER NOT NULL,
	label_id INTEGER NOT NULL REFERENCES labels(id),
	negate INTEGER NOT NULL DEFAULT 0,
	pattern TEXT NOT NULL,
	weight REAL NOT NULL DEFAULT 1.0,
	source TEXT                      -- rules file it came from
);

-- Which reviews each rule matched, and where (first match, byte offsets).
CREATE TABLE rule_hits (
	rule_id INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
	review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
	start INTEGER NOT NULL,
	end INTEGER NOT NULL,
	PRIMARY KEY (rule_id, review_id)
) WITHOUT ROWID;
CREATE INDEX rule_hits_review ON rule_hits(review_id);

-- Reviews every current rule has been matched against. A new review (or
-- one whose text changed) is missing here until `revlab rules apply` or
-- `revlab run` matches the rule set against it.
CREATE TABLE rule_scans (
	review_id INTEGER PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE
);

-- The k-nearest-neighbour graph: rank 1 is the most similar review.
CREATE TABLE neighbours (
	review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
	rank INTEGER NOT NULL,
	neighbour_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
	similarity REAL NOT NULL,
	PRIMARY KEY (review_id, rank)
) WITHOUT ROWID;

-- Reviews whose neighbour list a refinement of the graph changed (the
-- new ones among them) since labelling last read this table; labelling
-- started from the last one's scores relabels them. Meaningful only
-- while the setting 'graph_changes' is 'tracked': a graph built afresh
-- sets it to 'all' (everything changed) and labelling over the whole
-- corpus back to 'tracked', emptying the table.
CREATE TABLE graph_changes (
	review_id INTEGER PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE
);

-- Propagation's spread of each review before it is normalised (one
-- float32 a label, in the labels' id order), as the last labelling with
-- propagation or the blend left it: the next one, while run reuses its
-- choice, starts from it and labels again only what moved.
CREATE TABLE spread (
	review_id INTEGER PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE,
	scores BLOB NOT NULL
);

-- Propagated label scores: the label distribution per review.
CREATE TABLE label_scores (
	review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
	label_id INTEGER NOT NULL REFERENCES labels(id),
	score REAL NOT NULL,
	PRIMARY KEY (review_id, label_id)
) WITHOUT ROWID;

-- The label each review ends up with, its confidence and margin, and
-- where it came from. evidence is JSON (rule ids, neighbour ids, model).
-- A review with no row here abstained.
CREATE TABLE assignments (
	review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
	label_id INTEGER NOT NULL REFERENCES labels(id),
	confidence REAL NOT NULL,
	margin REAL,
	source TEXT NOT NULL
		CHECK (source IN ('seed', 'rule', 'propagation', 'model', 'cluster')),
	evidence TEXT NOT NULL DEFAULT '{}',
	run_id INTEGER REFERENCES runs(id),
	PRIMARY KEY (review_id, label_id)
) WITHOUT ROWID;

-- Trained classifiers, kept side by side: kind ('nb', 'cnb', 'logreg'),
-- hyperparameters, the feature list and weights as blobs.
CREATE TABLE models (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	params TEXT NOT NULL DEFAULT '{}',
	labels TEXT NOT NULL,            -- JSON array of label names, in order
	features BLOB,
	weights BLOB NOT NULL,
	metrics TEXT NOT NULL DEFAULT '{}',
	run_id INTEGER REFERENCES runs(id)
);

-- A model's predictions for the reviews in the store: one row per
-- review in a single-label store, one per label it predicts in a
-- multi-label one (the key took label_id in version 3).
CREATE TABLE predictions (
	review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
	model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
	label_id INTEGER NOT NULL REFERENCES labels(id),
	confidence REAL NOT NULL,
	PRIMARY KEY (review_id, model_id, label_id)
) WITHOUT ROWID;

-- Evaluations, newest last: the whole report of `revlab eval` (and of
-- the cross-validation `revlab run` makes) as the JSON `eval --json`
-- prints, so `revlab report` can draw the last one. Added in version 2.
CREATE TABLE evals (
	id INTEGER PRIMARY KEY,
	run_id INTEGER REFERENCES runs(id),
	created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
	result TEXT NOT NULL                -- JSON object
);

-- The last clustering of the review vectors (spherical k-means): one row
-- per cluster with its size and most distinctive terms, and each
-- review's cluster with its cosine to the centroid. Replaced as a whole
-- by every `revlab clusters`. Added in version 2.
CREATE TABLE clusters (
	id INTEGER PRIMARY KEY,             -- cluster number, from 0
	size INTEGER NOT NULL,
	terms TEXT NOT NULL DEFAULT '[]',   -- JSON array, most distinctive first
	run_id INTEGER REFERENCES runs(id)
);
CREATE TABLE cluster_members (
	review_id INTEGER PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE,
	cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
	similarity REAL NOT NULL
);
CREATE INDEX cluster_members_cluster ON cluster_members(cluster_id,
	similarity);


-- The labels each review carries, one row per (review, label), in import
-- order and then label name (byte order); a review that abstained has no
-- row. A review's hand labels win over what the last run assigned, as in
-- labelled_reviews: each with confidence 1.0 and source 'seed', even one
-- set after the last run, whose evidence is then that of the run's other
-- hand label on the review (in a single-label store, the one it
-- replaced). Otherwise the review's assignments, each label with its own
-- confidence and source. In a single-label store these are the rows of
-- labelled_reviews that have a label. Added in version 3.
CREATE VIEW review_labels AS
SELECT r.ext_id AS id,
       CASE WHEN s.review_id IS NOT NULL THEN sl.name ELSE l.name END
           AS label,
       CASE WHEN s.review_id IS NOT NULL THEN 1.0 ELSE a.confidence END
           AS confidence,
       CASE WHEN s.review_id IS NOT NULL THEN 'seed' ELSE a.source END
           AS source,
       CASE WHEN s.review_id IS NOT NULL THEN coalesce(sa.evidence,
           (SELECT x.evidence FROM assignments x WHERE x.review_id = r.id
            AND x.source = 'seed')) ELSE a.evidence END AS evidence
FROM reviews r
LEFT JOIN seeds s ON s.review_id = r.id AND s.origin = 'hand'
LEFT JOIN labels sl ON sl.id = s.label_id
LEFT JOIN assignments sa ON sa.review_id = r.id AND sa.label_id = s.label_id
    AND sa.source = 'seed'
LEFT JOIN assignments a ON a.review_id = r.id AND s.review_id IS NULL
LEFT JOIN labels l ON l.id = a.label_id
WHERE s.review_id IS NOT NULL OR a.review_id IS NOT NULL
ORDER BY r.id, label;

-- What users take away: one row per review with its label, confidence and
-- where the label came from (seed, rule, propagation, model), its
-- metadata and text. A hand label always wins, even one set after the
-- last run. `revlab export` reads this view; so can sqlite3 or Datasette.
-- A review that abstained has a NULL label.
--
-- In a multi-label store (settings label_mode = 'multi') a review's
-- labels are its rows of review_labels (its hand labels if it has any,
-- else its assignments), shown in one row: label is their names joined
-- by '|' in name order ('price|shipping'), source their sources joined
-- alike ('model|rule'), confidence the lowest of theirs (each label is
-- at least that sure), evidence a JSON object of each label's evidence
-- by name. A label whose name holds '|' makes the joined text ambiguous;
-- review_labels is exact. Each of these columns is a subquery over the
-- review's labels, and in this mode the single-label joins join nothing
-- (evidence is cast to TEXT so that a table made from the view, as
-- `export --format sqlite` makes one, declares it TEXT as before).
-- Changed in version 3.
CREATE VIEW labelled_reviews AS
SELECT r.ext_id AS id,
       CASE WHEN EXISTS (SELECT 1 FROM settings
                         WHERE key = 'label_mode' AND value = 'multi')
       THEN (SELECT group_concat(label, '|') FROM (
             SELECT l.name AS label
             FROM seeds h JOIN labels l ON l.id = h.label_id
             WHERE h.review_id = r.id AND h.origin = 'hand'
             UNION ALL
             SELECT l.name
             FROM assignments a JOIN labels l ON l.id = a.label_id
             WHERE a.review_id = r.id AND NOT EXISTS (SELECT 1 FROM seeds h
                 WHERE h.review_id = r.id AND h.origin = 'hand')
             ORDER BY 1))
       WHEN s.review_id IS NOT NULL THEN sl.name ELSE l.name END AS label,
       CASE WHEN EXISTS (SELECT 1 FROM settings
                         WHERE key = 'label_mode' AND value = 'multi')
       THEN (SELECT min(confidence) FROM (
             SELECT 1.0 AS confidence
             FROM seeds h WHERE h.review_id = r.id AND h.origin = 'hand'
             UNION ALL
             SELECT a.confidence
             FROM assignments a
             WHERE a.review_id = r.id AND NOT EXISTS (SELECT 1 FROM seeds h
                 WHERE h.review_id = r.id AND h.origin = 'hand')))
       WHEN s.review_id IS NOT NULL THEN 1.0 ELSE a.confidence END
           AS confidence,
       CASE WHEN EXISTS (SELECT 1 FROM settings
                         WHERE key = 'label_mode' AND value = 'multi')
       THEN (SELECT group_concat(source, '|') FROM (
             SELECT l.name AS label, 'seed' AS source
             FROM seeds h JOIN labels l ON l.id = h.label_id
             WHERE h.review_id = r.id AND h.origin = 'hand'
             UNION ALL
             SELECT l.name, a.source
             FROM assignments a JOIN labels l ON l.id = a.label_id
             WHERE a.review_id = r.id AND NOT EXISTS (SELECT 1 FROM seeds h
                 WHERE h.review_id = r.id AND h.origin = 'hand')
             ORDER BY 1))
       WHEN s.review_id IS NOT NULL THEN 'seed' ELSE a.source END AS source,
       CAST(CASE WHEN EXISTS (SELECT 1 FROM settings
                              WHERE key = 'label_mode' AND value = 'multi')
       THEN (SELECT CASE WHEN count(*) > 0
                    THEN json_group_object(label, json(evidence)) END FROM (
             SELECT l.name AS label, coalesce((SELECT x.evidence
                 FROM assignments x WHERE x.review_id = r.id
                 AND x.label_id = h.label_id AND x.source = 'seed'),
                 (SELECT x.evidence FROM assignments x
                  WHERE x.review_id = r.id AND x.source = 'seed'))
                 AS evidence
             FROM seeds h JOIN labels l ON l.id = h.label_id
             WHERE h.review_id = r.id AND h.origin = 'hand'
             UNION ALL
             SELECT l.name, a.evidence
             FROM assignments a JOIN labels l ON l.id = a.label_id
             WHERE a.review_id = r.id AND NOT EXISTS (SELECT 1 FROM seeds h
                 WHERE h.review_id = r.id AND h.origin = 'hand')
             ORDER BY 1))
       ELSE a.evidence END AS TEXT) AS evidence,
       r.meta AS meta,
       r.text AS text
FROM reviews r
LEFT JOIN seeds s ON s.review_id = r.id AND s.origin = 'hand'
    AND NOT EXISTS (SELECT 1 FROM settings
                    WHERE key = 'label_mode' AND value = 'multi')
LEFT JOIN labels sl ON sl.id = s.label_id
LEFT JOIN assignments a ON a.review_id = r.id
    AND (s.review_id IS NULL OR a.source = 'seed')
    AND NOT EXISTS (SELECT 1 FROM settings
                    WHERE key = 'label_mode' AND value = 'multi')
LEFT JOIN labels l ON l.id = a.label_id
ORDER BY r.id;
