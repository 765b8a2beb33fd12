/*
 * main.c - the `revlab` command: its table of subcommands, --help,
 * --version, and dispatch. Each subcommand lives in cmd_<name>.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_vectorize(int argc, char **argv);
int cmd_seed(int argc, char **argv);
int cmd_label(int argc, char **argv);
int cmd_unlabel(int argc, char **argv);
int cmd_labels(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_suggest(int argc, char **argv);
int cmd_propagate(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_vacuum(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_clusters(int argc, char **argv);
int cmd_next(int argc, char **argv);
int cmd_suspects(int argc, char **argv);
int cmd_agreement(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const char *const tokenize_stages[] = { "tokenize", NULL };
static const char *const vectorize_stages[] = { "vectorize", NULL };
static const char *const graph_stages[] = { "graph", NULL };
static const char *const propagate_stages[] = { "propagate", NULL };
static const char *const run_stages[] = { "tokenize", "vectorize", "graph",
					  "propagate", "train", NULL };
static const char *const eval_stages[] = { "train", "propagate", NULL };
static const char *const clusters_stages[] = { "clusters", NULL };
static const char *const next_stages[] = { "next", "propagate", NULL };

static const struct {
	cli_cmd cmd;
	const char *const *stages;	/* whose -p parameters it takes */
} commands[] = {
	{ { "init", cmd_init, "create a new, empty store",
	    "usage: revlab init DB [--multi-label]\n"
	    "\n"
	    "Creates the store DB (a SQLite file) with revlab's schema.\n"
	    "Does nothing to a store that already exists.\n"
	    "--multi-label makes a store where a review can carry any\n"
	    "number of labels (a single-label one carries one); the mode\n"
	    "is chosen when the store is made and never changes.\n" },
	  NULL },
	{ { "import", cmd_import, "import reviews from CSV, TSV or JSONL",
	    "usage: revlab import DB FILE [options]\n"
	    "\n"
	    "Imports reviews from FILE ('-' for stdin) in one transaction.\n"
	    "CSV and TSV need a header line; JSONL is one object a line.\n"
	    "Columns other than the id and text are kept as metadata.\n"
	    "A bad record stops the import and leaves the store unchanged.\n"
	    "\n"
	    "  --format F        csv, tsv or jsonl (default: from the extension)\n"
	    "  --id-col C        column holding the id (default: id)\n"
	    "  --text-col C      column holding the text (default: text)\n"
	    "  --replace         replace reviews whose id is already stored\n"
	    "  --skip-existing   keep stored reviews, skip rows with their ids\n"
	    "  --skip-bad        import the good rows, list the bad ones\n"
	    "  --max-record N    longest record in bytes (default: 1048576)\n"
	    "  -q, --quiet       no progress or summary\n" }, NULL },
	{ { "tokenize", cmd_tokenize, "tokenize reviews not yet tokenized",
	    "usage: revlab tokenize DB [-p name=value]... [-q]\n"
	    "\n"
	    "Tokenizes every review without tokens (all of them if the\n"
	    "tokenizer's settings or lexicons changed): NFKC, case folding,\n"
	    "Unicode word segmentation, stop words and stemming from\n"
	    "lexicons/<language>/.\n" }, tokenize_stages },
	{ { "vectorize", cmd_vectorize, "TF-IDF and LSA vectors of the reviews",
	    "usage: revlab vectorize DB [-p name=value]... [-q]\n"
	    "\n"
	    "Computes TF-IDF vectors (unigrams and bigrams of tokens, sublinear\n"
	    "tf, smoothed idf, L2-normalised) and their LSA projection, learned\n"
	    "from the corpus itself. The fit is redone when settings change or\n"
	    "the corpus grew by a quarter; otherwise only new reviews are\n"
	    "vectorized with the stored fit.\n" }, vectorize_stages },
	{ { "graph", cmd_graph, "the k-nearest-neighbour graph of the reviews",
	    "usage: revlab graph DB [-p name=value]... [-q]\n"
	    "\n"
	    "Finds each review's k most similar reviews (cosine) and stores\n"
	    "them with their similarity: exact below exact_below reviews,\n"
	    "NN-descent above, with recall@k measured on a sample. Adding\n"
	    "reviews refines the stored graph instead of rebuilding it.\n" },
	  graph_stages },
	{ { "clusters", cmd_clusters, "clusters of the reviews, for a start "
	    "without labels",
	    "usage: revlab clusters DB [--k N] [-n N] [--json]\n"
	    "                      [-p name=value]...\n"
	    "       revlab clusters show DB [CLUSTER] [-n N] [--json]\n"
	    "       revlab clusters name DB CLUSTER LABEL [-n N]\n"
	    "\n"
	    "Groups the reviews by spherical k-means (cosine, k-means++\n"
	    "seeding with a fixed seed: the same store gives the same\n"
	    "clusters) on the vectors the graph uses, and prints each\n"
	    "cluster's size, its most distinctive terms and its N most\n"
	    "central reviews (default 3). Without --k, k is the one with the\n"
	    "best mean silhouette among 2..max_k on a sample, and the scores\n"
	    "are shown. The clustering replaces the previous one.\n"
	    "show: the stored clusters, or one cluster's N most central\n"
	    "reviews (default 20).\n"
	    "name: gives the N most central reviews of CLUSTER (default 10)\n"
	    "the label LABEL (created if new) as cluster-named labels:\n"
	    "evidence for propagation and training, source 'cluster' in the\n"
	    "export, but never hand labels: eval never scores them, as they\n"
	    "were made from the same data. Hand labels are left alone.\n" },
	  clusters_stages },
	{ { "labels", cmd_labels, "declare labels, list them with counts",
	    "usage: revlab labels DB [--add NAME...]\n"
	    "\n"
	    "Without --add, lists every label with its hand labels (seeds),\n"
	    "the reviews rules vote it for, the reviews labelled by\n"
	    "propagation and by a model, and its cluster-named labels\n"
	    "(`clusters name`); in a multi-label store a review with two\n"
	    "labels counts under each. Labels are also created on first use\n"
	    "by `seed`, `label` and `clusters name`.\n" }, NULL },
	{ { "seed", cmd_seed, "hand labels from a file of id, label lines",
	    "usage: revlab seed DB FILE [--as NAME]\n"
	    "\n"
	    "Sets hand labels from FILE: `id<TAB>label` lines (`id,label` for\n"
	    ".csv), an optional `id<TAB>label` header first, `#` comments.\n"
	    "In a multi-label store each line adds a label to the review, so\n"
	    "a review listed with two labels has both; in a single-label\n"
	    "store it replaces the review's label, and a file giving one\n"
	    "review two different labels is refused. A repeated line is\n"
	    "harmless. One transaction: an unknown id or a bad line sets\n"
	    "nothing.\n"
	    "After the header `id<TAB>label<TAB>annotator` a line may name\n"
	    "who gave the label in a third field (without that header a\n"
	    "third field is an error); lines without one (or with it empty)\n"
	    "are NAME's, by default\n"
	    "$REVLAB_ANNOTATOR, else $USER. Annotators may disagree on a\n"
	    "review: its hand label is then the majority's (`revlab\n"
	    "agreement` shows who said what).\n" },
	  NULL },
	{ { "label", cmd_label, "hand-label one review, or many interactively",
	    "usage: revlab label DB ID LABEL [--as NAME]\n"
	    "       revlab label DB --interactive [--seed N | --next | "
	    "--second]\n"
	    "                       [--as NAME]\n"
	    "\n"
	    "Gives review ID the hand label LABEL: in a single-label store it\n"
	    "replaces any it had, in a multi-label store it is added to its\n"
	    "labels (`revlab unlabel` drops one). With --interactive, shows\n"
	    "unlabelled reviews one at a time (in a seeded random order, or\n"
	    "with --next in the order of `revlab next`, best first): press a\n"
	    "label's number, s to skip, u to undo the last answer, q to quit.\n"
	    "In a multi-label store a number toggles its label on the review\n"
	    "(the review's labels are marked [x]) and enter or n moves on, so\n"
	    "a review takes several labels. Each answer is saved at once.\n"
	    "The answers are NAME's (default $REVLAB_ANNOTATOR, else $USER):\n"
	    "each annotator's answers are kept, and a review several of them\n"
	    "labelled takes the majority's label, a tie going to the label\n"
	    "given last (see `revlab agreement`). --second offers, instead,\n"
	    "the reviews another annotator labelled and NAME has not,\n"
	    "without their answers: a blind second opinion.\n" },
	  NULL },
	{ { "next", cmd_next, "the unlabelled reviews worth labelling next",
	    "usage: revlab next DB [-n N] [--json] [-p name=value]...\n"
	    "\n"
	    "Ranks the reviews without a hand label by how much a hand label\n"
	    "would help, and prints the best N (default 20) with the reason:\n"
	    "the model and propagation together unsure between two labels\n"
	    "(1 - their margin), the model, propagation and the rules\n"
	    "disagreeing, times the review's density (mean similarity to its\n"
	    "neighbours, relative to the densest), so outliers come last.\n"
	    "No two picks are graph neighbours (near-duplicates are not\n"
	    "offered together), and the picks are shared out among the\n"
	    "labels they most likely have, while others remain. Needs what\n"
	    "`revlab run` leaves (graph, model); changes nothing.\n"
	    "In a multi-label store each label is its own question: a\n"
	    "review is as unsure as its most unsure label (the probability\n"
	    "nearest the label's threshold), the sources disagree on the\n"
	    "share of the labels either gives that only one gives, the\n"
	    "picks are shared out by the label they are unsure of, and the\n"
	    "reason names those labels (\"unsure: shipping 0.47, price\n"
	    "0.58; likely price; ...\", 0.5 being each label's threshold).\n"
	    "--json prints one object a line. `revlab label DB --interactive\n"
	    "--next` offers reviews in this order.\n" }, next_stages },
	{ { "suspects", cmd_suspects, "hand labels that look wrong",
	    "usage: revlab suspects DB [-n N] [--json] [--annotators]\n"
	    "                       [-p name=value]...\n"
	    "\n"
	    "Predicts every hand label by cross-validation (as `revlab eval`:\n"
	    "each seed by a fit of propagation and the classifier that never\n"
	    "saw it) and lists the seeds whose given label gets a low\n"
	    "probability while another label is confident (confident\n"
	    "learning: a label's bar is the mean probability the seeds given\n"
	    "it receive), the lowest p(given) first, up to N (default 20),\n"
	    "with the text, so a person can re-check them.\n"
	    "In a multi-label store each label is judged against its\n"
	    "absence: a hand label whose probability is as low as the\n"
	    "reviews without it average (\"drop price?\"), or a missing\n"
	    "one as high as the reviews with it average (\"add shipping?\").\n"
	    "Changes nothing. --json prints one object a line.\n"
	    "With --annotators, ranks the annotators instead: how many of\n"
	    "their own answers (a minority answer too) the same predictions\n"
	    "dispute, and the rate, the highest first; in a multi-label\n"
	    "store also the labels they left out that the predictions say\n"
	    "the review has (missed).\n" },
	  eval_stages },
	{ { "unlabel", cmd_unlabel, "remove hand labels of a review",
	    "usage: revlab unlabel DB ID [LABEL] [--as NAME | --all]\n"
	    "\n"
	    "Removes the hand label LABEL of review ID, or without LABEL\n"
	    "every hand label it has (its one, in a single-label store).\n"
	    "An unknown id or label, or a label the review does not carry,\n"
	    "is an error that changes nothing. Only NAME's answers go\n"
	    "(default $REVLAB_ANNOTATOR, else $USER; --as '' is the unnamed\n"
	    "annotator of labels set before annotators), or with --all\n"
	    "everyone's; the review's hand label is then what the others\n"
	    "said.\n" }, NULL },
	{ { "agreement", cmd_agreement, "how far the annotators agree",
	    "usage: revlab agreement DB [-n N] [--json]\n"
	    "\n"
	    "On the reviews two or more annotators labelled: Krippendorff's\n"
	    "alpha (nominal) over all annotators, Cohen's kappa for each pair\n"
	    "on the reviews both labelled, the same per label as a yes/no\n"
	    "question, and the reviews they answered differently with who\n"
	    "said what and the label it resolved to (the first N, default\n"
	    "20; all with --json). In a multi-label store the overall\n"
	    "statistics pool every (review, label) as a yes/no answer. A\n"
	    "statistic that is undefined (no shared review, or one answer\n"
	    "throughout) shows as - (null in JSON). Changes nothing.\n" },
	  NULL },
	{ { "rules", cmd_rules, "load keyword rules; their stats and matches",
	    "usage: revlab rules DB FILE [--create-labels]\n"
	    "       revlab rules stats DB [--json] [LINT OPTIONS]\n"
	    "       revlab rules lint DB [--strict] [--json] [LINT OPTIONS]\n"
	    "       revlab rules show DB LINE [--wrong] [--limit N]\n"
	    "       revlab rules apply DB\n"
	    "LINT OPTIONS: --max-coverage SHARE (0.30)\n"
	    "              --min-precision P (0.5)\n"
	    "\n"
	    "FILE has one rule a line, label<TAB>pattern[<TAB>weight]; a label\n"
	    "written !label votes against it; # comments. Patterns are PCRE2,\n"
	    "UTF-8, case-insensitive unless they say (?-i). A bad line is\n"
	    "FILE:LINE:COLUMN: message and the previous rule set stays. Only\n"
	    "new or changed patterns are matched again.\n"
	    "A pattern starting with ? is an expression of conditions joined\n"
	    "by & (and), | (or), ! (not) and ( ): /regex/, @FILE (a word\n"
	    "list, one word or phrase a line, relative to the rules file),\n"
	    "{a, b c} (a word list in the rule), FIELD OP VALUE on the\n"
	    "review's other imported columns with OP one of = != < <= > >=\n"
	    "(numbers compare as numbers, else as text), FIELD ~ /regex/. A\n"
	    "review without the field does not match, even under !.\n"
	    "Example:\n"
	    "  late<TAB>? rating<=2 & (/late|delay/ | @late-words.txt)\n"
	    "\n"
	    "stats: per rule its hits, coverage, overlaps and conflicts with\n"
	    "other rules, and precision on the hand labels with a 95% Wilson\n"
	    "interval; totals; the pairwise overlap/conflict matrix; the\n"
	    "findings of lint.\n"
	    "lint: the findings only, FILE:LINE: one a line: rules that never\n"
	    "hit, redundant ones (every review they match, a rule with the\n"
	    "same label matches too), too broad ones (over --max-coverage of\n"
	    "the reviews, with the precision's lower bound under\n"
	    "--min-precision or no hand label to judge by). --strict exits 1\n"
	    "when there is one, for CI.\n"
	    "show: the reviews a rule (by its line) matches, the match\n"
	    "highlighted; --wrong only hand-labelled reviews it gets wrong.\n"
	    "In a multi-label store a rule is right on a hand-labelled review\n"
	    "that carries its label, and rules for different labels never\n"
	    "conflict.\n"
	    "apply: match the rules against reviews imported since.\n" },
	  NULL },
	{ { "suggest", cmd_suggest, "keywords that separate labels, as rules",
	    "usage: revlab suggest DB [LABEL] [-n N]\n"
	    "\n"
	    "Ranks words and word pairs by how well they separate a label\n"
	    "from the others among the hand-labelled reviews (log-odds with\n"
	    "an informative prior from the whole corpus) and prints the best\n"
	    "N per label (default 10) as rule lines, each with the reviews it\n"
	    "matches and its precision on the hand labels. Paste the good\n"
	    "ones into your rules file. In a multi-label store a review\n"
	    "counts for each of its labels, and a label is set against the\n"
	    "reviews that do not carry it.\n" }, NULL },
	{ { "propagate", cmd_propagate, "spread hand labels and rule votes",
	    "usage: revlab propagate DB [-p name=value]... [-q]\n"
	    "\n"
	    "Label spreading over the neighbour graph: hand labels are\n"
	    "clamped, rule votes are soft evidence weighted by each rule's\n"
	    "precision on the hand labels, and class mass normalisation keeps\n"
	    "a class with many seeds from flooding the graph. Stores every\n"
	    "review's label scores and its label, confidence and margin;\n"
	    "reviews no evidence reaches abstain.\n" }, propagate_stages },
	{ { "eval", cmd_eval, "cross-validate the methods on the hand labels",
	    "usage: revlab eval DB [--folds K] [--curve] [--json]\n"
	    "                   [-p name=value]...\n"
	    "\n"
	    "Scores rules alone, propagation, a classifier trained on the\n"
	    "propagated labels, and the blend of classifier and propagation\n"
	    "by K-fold cross-validation on the hand labels (default 5). In\n"
	    "each fold the held-out seeds are hidden from every step that is\n"
	    "scored: rule precision estimates, propagation, class shares and\n"
	    "training. Two baselines are scored alike, never chosen: a\n"
	    "majority vote of the rules (one vote per matching rule) and the\n"
	    "classifier trained on the hand labels alone. Prints macro-F1,\n"
	    "accuracy and coverage per method, per-label precision, recall\n"
	    "and F1 for the best, and with --json the confusion matrices.\n"
	    "--curve adds a learning curve: macro-F1 of each method when each\n"
	    "fold trains on 1, 2, 3, 5, 8, 10, ... seeds per label.\n"
	    "Labels and models stay as they were; the report is kept in the\n"
	    "store's evals table, where `revlab report` finds it.\n"
	    "In a multi-label store each label is its own question: it\n"
	    "prints micro- and macro-F1, exact match, Hamming loss and labels\n"
	    "per review given against hand-labelled, and per label the\n"
	    "threshold chosen (each fold decided with thresholds chosen on\n"
	    "the other folds).\n" },
	  eval_stages },
	{ { "train", cmd_train, "train and store the classifier for predict",
	    "usage: revlab train DB [-p name=value]... [-q]\n"
	    "\n"
	    "Propagates the hand labels, trains the classifier (-p model=\n"
	    "logreg|nb|cnb) on the propagated labels weighted by their\n"
	    "confidence, and stores it with its predictions for the corpus.\n"
	    "Labels are not changed (`revlab run` does that). The newest five\n"
	    "models are kept.\n" }, eval_stages },
	{ { "predict", cmd_predict, "label new reviews with the stored model",
	    "usage: revlab predict DB FILE [--format F] [--id-col C]\n"
	    "                      [--text-col C] [--model ID] [--top K]\n"
	    "       revlab predict --model MODEL FILE [--format F]\n"
	    "                      [--id-col C] [--text-col C] [--top K]\n"
	    "       revlab predict DB [--model ID]\n"
	    "\n"
	    "Without FILE, prints the model's labels for every review in the\n"
	    "store (kept in the predictions table).\n"
	    "Labels the reviews in FILE (CSV, TSV or JSONL, as for import;\n"
	    "'-' for stdin with --format) with the newest model, or model ID,\n"
	    "and writes id<TAB>label<TAB>confidence lines with a header, the\n"
	    "K most likely labels with --top K. The file is checked whole\n"
	    "first: a bad record prints no prediction.\n"
	    "--model MODEL names a model file (`revlab model save`) instead:\n"
	    "no store is needed, and the output is the same. A number is a\n"
	    "stored model's ID; write ./12 for a file named 12.\n"
	    "In a multi-label store (or with its model) each line is\n"
	    "id<TAB>labels<TAB>confidences, every label that reaches its\n"
	    "threshold (the likeliest when none does) joined by '|', best\n"
	    "first; --top does not apply.\n" }, NULL },
	{ { "model", cmd_model, "save a trained model as one file; show one",
	    "usage: revlab model save DB FILE [--id N]\n"
	    "       revlab model show FILE\n"
	    "\n"
	    "save: writes the store's newest model (or model N) to FILE as one\n"
	    "standalone binary file, atomically: the classifier with its\n"
	    "calibration, the vocabulary, the LSA projection, the tokenizer's\n"
	    "settings and its lexicons. `revlab predict --model FILE IN` then\n"
	    "labels reviews exactly as `revlab predict DB IN` does, with no\n"
	    "store and no lexicon folder. Refused if the store's vectors or\n"
	    "lexicons changed since the model was trained.\n"
	    "show: what FILE holds: kind, labels, vocabulary size, LSA\n"
	    "dimensions, tokenizer, and the revlab version that wrote it.\n"
	    "A damaged, cut or foreign file is refused by name.\n" }, NULL },
	{ { "export", cmd_export, "the labelled table as CSV, TSV or JSONL",
	    "usage: revlab export DB [--format csv|tsv|jsonl|sqlite] [--text]\n"
	    "                     [--long] [--annotators] [--label L]\n"
	    "                     [--source S] [--min-confidence X] [-o FILE]\n"
	    "\n"
	    "Writes one row per review: id, label, confidence and source\n"
	    "(seed, rule, propagation, model, cluster; empty where the\n"
	    "review abstained), and with --text the text. CSV is quoted per\n"
	    "RFC 4180; JSONL adds the review's metadata; TSV turns tabs and\n"
	    "line breaks inside fields into spaces. --format sqlite -o FILE\n"
	    "writes a new SQLite file with table labelled_reviews (all\n"
	    "columns).\n"
	    "Inside the store the view labelled_reviews has the same rows.\n"
	    "--label, --source and --min-confidence keep only matching rows.\n"
	    "--annotators adds a column annotations (before text): who gave\n"
	    "the review's hand labels, a JSON object of each annotator's\n"
	    "labels ({\"alice\":[\"price\"],\"bob\":[\"shipping\"]}, \"\"\n"
	    "the unnamed annotator), empty (JSONL: null) where nobody did.\n"
	    "The sqlite export always adds table annotations (id, label,\n"
	    "annotator) for its reviews.\n"
	    "\n"
	    "In a multi-label store a review's labels, confidences and\n"
	    "sources are the fields labels, confidences and sources, each\n"
	    "joined by '|' in label-name order (JSONL: arrays); --long writes\n"
	    "a row per (review, label) in the columns above instead. The\n"
	    "sqlite export adds table review_labels, a row per (review,\n"
	    "label). --source and --min-confidence keep the labels they\n"
	    "match, --label the reviews carrying L; a review left with no\n"
	    "label is dropped. A label whose name holds '|' needs --long,\n"
	    "JSONL or sqlite.\n" },
	  NULL },
	{ { "report", cmd_report, "an HTML report of the store, with charts",
	    "usage: revlab report DB -o FILE [--title T] [--samples N] [-q]\n"
	    "\n"
	    "Writes one self-contained HTML page (inline CSS and SVG, no\n"
	    "scripts, nothing fetched) to FILE, '-' for stdout: corpus counts\n"
	    "and the last run's method; labels by source; each rule's\n"
	    "coverage and precision on the hand labels with its 95% Wilson\n"
	    "interval; which labels' rules fire on the same reviews; from\n"
	    "the last `revlab eval` (or `revlab run`) the scores, confusion\n"
	    "matrix, learning curve (eval --curve) and reliability diagram;\n"
	    "a histogram of the labels' confidence; and the N least\n"
	    "confident reviews of each label (default 5). The file is\n"
	    "written whole or not at all. Changes nothing in the store.\n" },
	  NULL },
	{ { "stats", cmd_stats, "show counts and what each stage last did",
	    "usage: revlab stats DB [--json]\n"
	    "\n"
	    "The store's mode (single- or multi-label), counts of reviews,\n"
	    "tokens, labels, seeds and rules, what each stage last did\n"
	    "(its parameters, counts and time), and the store's size on\n"
	    "disk (file and -wal), per review, with its biggest tables as\n"
	    "SQLite's dbstat measures them.\n" }, NULL },
	{ { "vacuum", cmd_vacuum, "shrink the store's file; --derived drops "
	    "what run remakes",
	    "usage: revlab vacuum DB [--derived]\n"
	    "\n"
	    "Gives the store's free pages back (SQLite's VACUUM), checkpoints\n"
	    "and empties the -wal file, and prints the size before and after.\n"
	    "--derived first deletes, in one transaction, what the next\n"
	    "`revlab run` makes again from the reviews, hand labels, rules\n"
	    "and settings: the reviews' tokens and vectors and the rule\n"
	    "hits. The labels run assigned, label scores, predictions,\n"
	    "models, evaluations, clusters, the neighbour graph, the\n"
	    "vocabulary and the vectorizer's fit stay, so export, predict\n"
	    "and report go on working, and the next run rebuilds the rest as\n"
	    "it was without labelling again.\n" }, NULL },
	{ { "run", cmd_run, "run every stage whose inputs changed",
	    "usage: revlab run DB [-p name=value]... [-q]\n"
	    "\n"
	    "Runs the pipeline on the store's reviews, each stage only if its\n"
	    "inputs changed, and prints what each did: tokenize, vectorize,\n"
	    "graph, rules, propagate; then, with hand labels, it picks by\n"
	    "cross-validation on them the neighbours per review and class\n"
	    "shares propagation uses, the classifier, and the way of\n"
	    "labelling (rules, propagation, model or blend), says why, labels\n"
	    "every review with it and stores the model for predict.\n"
	    "In a multi-label store a review gets every label whose\n"
	    "probability reaches the label's threshold (chosen by the same\n"
	    "cross-validation), its likeliest when none does.\n"
	    "-p name=value sets a parameter in every stage that has it;\n"
	    "-p stage.name=value in one; what is set is not chosen.\n" },
	  run_stages },
	{ { "help", cmd_help, "explain a command",
	    "usage: revlab help [COMMAND]\n" }, NULL },
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_params(const char *stage, FILE *out)
{
	const rl_param *p;
	fprintf(out, "\n%s parameters (-p name=value):\n", stage);
	for (size_t i = 0; (p = rl_param_at(stage, i)); i++) {
		fprintf(out, "  %-12s %-6s %s (", p->name, p->type, p->help);
		for (size_t c = 0; p->choices && p->choices[c]; c++)
			fprintf(out, "%s%s", c ? ", " : "one of: ",
				p->choices[c]);
		fprintf(out, "%sdefault: %s)\n", p->choices ? "; " : "",
			p->def);
	}
}

const char *const *cli_command_stages(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].cmd.name, name))
			return commands[i].stages;
	return NULL;
}

void cli_help(const char *name, FILE *out)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].cmd.name, name))
			continue;
		fputs(commands[i].cmd.usage, out);
		for (const char *const *s = commands[i].stages; s && *s; s++)
			print_params(*s, out);
		return;
	}
}

static void usage(FILE *out)
{
	fprintf(out, "usage: revlab [--version] [--help] COMMAND [ARGS]\n\n"
		"revlab labels product reviews from a few hand labels and\n"
		"keyword rules. Commands:\n\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].cmd.name,
			commands[i].cmd.summary);
	fprintf(out, "\n`revlab help COMMAND` or `revlab COMMAND --help` "
		"explains one.\n");
}

static const cli_cmd *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].cmd.name, name))
			return &commands[i].cmd;
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	if (argc > 2)
		return cli_usage("help", "too many arguments");
	if (!find(argv[1])) {
		cli_error("'%s' is not a revlab command; see `revlab --help`",
			  argv[1]);
		return EXIT_USAGE;
	}
	cli_help(argv[1], stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("revlab %s\n", rl_version());
		return EXIT_OK;
	}
	const cli_cmd *c = find(argv[1]);
	if (!c) {
		cli_error("'%s' is not a revlab command; see `revlab --help`",
			  argv[1]);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cli_help(c->name, stdout);
			return EXIT_OK;
		}
	}
	return c->fn(argc - 1, argv + 1);
}
