package match

// groupSimilarity is how much two questions' stemmed words must overlap
// (Jaccard) for them to count as the same question.
const groupSimilarity = 0.5

// Group puts questions that ask the same thing together, for staff reading
// what the FAQ lacks. It returns groups of indexes into texts, each in the
// order of texts; groups come in the order of their first question.
func Group(texts []string) [][]int {
	var groups [][]int
	var heads []map[string]bool // the stemmed words of each group's first question
	for i, t := range texts {
		keys := groupKeys(t)
		best, bestSim := -1, groupSimilarity
		for g, head := range heads {
			if sim := jaccard(keys, head); sim >= bestSim {
				best, bestSim = g, sim
			}
		}
		if best < 0 {
			groups = append(groups, nil)
			heads = append(heads, keys)
			best = len(groups) - 1
		}
		groups[best] = append(groups[best], i)
	}
	return groups
}

// groupKeys are a question's content words reduced to the start of their stem.
func groupKeys(text string) map[string]bool {
	keys := map[string]bool{}
	for _, w := range words(text) {
		if isLatin(w) {
			w = readings(w)[0]
		}
		if russianStopWords[w] || kyrgyzStopWords[w] {
			continue
		}
		keys[prefix(kyrgyzStem(russianStem(w)), 5)] = true
	}
	return keys
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	shared := 0
	for k := range a {
		if b[k] {
			shared++
		}
	}
	return float64(shared) / float64(len(a)+len(b)-shared)
}
