// Full-text search (DESIGN.md "Version 2", issue 15): what a person typed,
// made into terms, into an FTS5 MATCH string that can never be a syntax
// error, and the places in a message's text where the terms are.
//
// The index (sql/schema.sql messages_fts) uses FTS5's trigram tokenizer, so
// a term matches any text that contains it, in any script, case-insensitively
// (https://sqlite.org/fts5.html#the_trigram_tokenizer). A trigram index
// cannot find a term of one or two characters; such terms are matched with
// the same folding as Highlights instead (search.cpp says where).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace chat {

constexpr int kMaxQueryChars = 200;
constexpr int kMinIndexedChars = 3;  // a trigram needs three characters

// Splits a query into terms: a double-quoted part is one term (a phrase,
// spaces and all), everything else splits on white space. An unclosed quote
// runs to the end. Empty terms are dropped; duplicates kept once.
std::vector<std::string> SearchTerms(const std::string& q);

// The MATCH expression for these terms: trigrams (three code points) side
// by side covering each term of three or more (at 0, 3, 6, ... and the last
// three), each distinct one a string of its own, all of which must be in a
// message. The index keeps no positions (detail=none, to
// bound what a post writes: sql/schema.sql), so it answers which messages
// hold all the trigrams, not whether they are side by side: the caller
// checks each candidate with ContainsAll. Each trigram is wrapped in double
// quotes with inner quotes doubled, so `*`, `-`, `:`, `NEAR(`, `AND` typed
// by a person are text, never FTS5 syntax
// (https://sqlite.org/fts5.html#fts5_strings). Empty when no term has three
// code points.
std::string FtsMatch(const std::vector<std::string>& terms);

// Number of Unicode code points in valid UTF-8.
int CodePoints(const std::string& s);

// Every place where a term occurs in `text`, as [start, end) offsets in code
// points, case-insensitively (Unicode simple case folding, one code point
// for one, as the trigram tokenizer folds), sorted, overlaps merged.
std::vector<std::pair<int, int>> Highlights(const std::string& text,
                                            const std::vector<std::string>& terms);

// True when every term occurs in `text`, compared as Highlights compares.
bool ContainsAll(const std::string& text, const std::vector<std::string>& terms);

}  // namespace chat
