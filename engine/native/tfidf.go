package native

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/inferd/inferd/tensor"
)

// TfIdfVectorizer (opset 9): counts, per row of tokens (int32, int64 or
// strings), the n-grams of the pool of lengths min_gram_length to
// max_gram_length, whose tokens may be max_skip_count apart at most (all
// gaps equal; unigrams count once), into the output columns ngram_indexes
// names; mode TF keeps the counts, IDF outputs the weight where the count
// is positive and TFIDF their product.

func init() { registerSince("TfIdfVectorizer", 9, buildTfIdf) }

type tfidfKernel struct {
	minN, maxN, maxSkip int
	mode                string
	// grams maps an n-gram's key to its pool position.
	grams   map[string]int
	columns []int64
	weights []float32
	width   int
}

func buildTfIdf(b *buildCtx) (kernel, error) {
	k := &tfidfKernel{grams: map[string]int{}}
	ints := map[string]*int{"min_gram_length": &k.minN, "max_gram_length": &k.maxN, "max_skip_count": &k.maxSkip}
	for name, dst := range ints {
		v, err := b.intAttr(name, 0)
		if err != nil {
			return nil, err
		}
		if v < 0 || v > 1<<16 {
			return nil, b.errorf("attribute %s is %d", name, v)
		}
		*dst = int(v)
	}
	if k.minN < 1 || k.maxN < k.minN {
		return nil, b.errorf("gram lengths %d to %d are invalid", k.minN, k.maxN)
	}
	var err error
	if k.mode, err = b.stringAttr("mode", "TF"); err != nil {
		return nil, err
	}
	if k.mode != "TF" && k.mode != "IDF" && k.mode != "TFIDF" {
		return nil, b.errorf("attribute mode is %q, want TF, IDF or TFIDF", k.mode)
	}
	counts, err := b.intsAttr("ngram_counts")
	if err != nil {
		return nil, err
	}
	if k.columns, err = b.intsAttr("ngram_indexes"); err != nil {
		return nil, err
	}
	if k.weights, err = b.floatsAttr("weights"); err != nil {
		return nil, err
	}
	poolInts, err := b.intsAttr("pool_int64s")
	if err != nil {
		return nil, err
	}
	poolStrs, err := b.stringsAttr("pool_strings")
	if err != nil {
		return nil, err
	}
	pool := make([]string, 0, len(poolInts)+len(poolStrs))
	for _, v := range poolInts {
		pool = append(pool, strconv.FormatInt(v, 10))
	}
	pool = append(pool, poolStrs...)
	// Pool items from counts[i] on are (i+1)-grams.
	pos := 0
	for i, start := range counts {
		end := len(pool)
		if i+1 < len(counts) {
			end = int(counts[i+1])
		}
		if int(start) != pos && int(start) < len(pool) || end > len(pool) || int(start) > end {
			return nil, b.errorf("ngram_counts %v do not fit a pool of %d items", counts, len(pool))
		}
		n := i + 1
		for p := int(start); p+n <= end; p += n {
			k.grams[strings.Join(pool[p:p+n], "\x00")+fmt.Sprintf("/%d", n)] = len(k.grams)
		}
		pos = end
	}
	if len(k.grams) != len(k.columns) {
		return nil, b.errorf("%d n-grams in the pool for %d ngram_indexes", len(k.grams), len(k.columns))
	}
	if k.weights != nil && len(k.weights) != len(k.columns) {
		return nil, b.errorf("%d weights for %d n-grams", len(k.weights), len(k.columns))
	}
	for _, c := range k.columns {
		if c < 0 || c > 1<<24 {
			return nil, b.errorf("ngram index %d is invalid", c)
		}
		k.width = max(k.width, int(c)+1)
	}
	return k, nil
}

func (k *tfidfKernel) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	var tokens []string
	switch d := x.Data().(type) {
	case []string:
		tokens = d
	default:
		v, err := int64sOf(x)
		if err != nil {
			return fmt.Errorf("TfIdfVectorizer: %w", err)
		}
		tokens = make([]string, len(v))
		for i, t := range v {
			tokens[i] = strconv.FormatInt(t, 10)
		}
	}
	rows, cols := 1, x.Len()
	shape := []int{k.width}
	switch x.Rank() {
	case 1:
	case 2:
		rows, cols = x.Shape()[0], x.Shape()[1]
		shape = []int{rows, k.width}
	default:
		return fmt.Errorf("TfIdfVectorizer input must be 1-D or 2-D, got %v", x.Shape())
	}
	res := make([]float64, rows*k.width)
	gram := make([]string, 0, k.maxN)
	for r := range rows {
		row := tokens[r*cols : (r+1)*cols]
		counts := make([]float64, len(k.columns))
		for n := k.minN; n <= k.maxN; n++ {
			skips := k.maxSkip
			if n == 1 {
				skips = 0
			}
			for s := 0; s <= skips; s++ {
				for i := range row {
					if i+(n-1)*(s+1) >= len(row) {
						break
					}
					gram = gram[:0]
					for j := range n {
						gram = append(gram, row[i+j*(s+1)])
					}
					if p, ok := k.grams[strings.Join(gram, "\x00")+fmt.Sprintf("/%d", n)]; ok {
						counts[p]++
					}
				}
			}
		}
		for p, c := range counts {
			v := c
			switch {
			case k.mode == "IDF" && c > 0:
				v = 1
				if k.weights != nil {
					v = float64(k.weights[p])
				}
			case k.mode == "TFIDF" && k.weights != nil:
				v = c * float64(k.weights[p])
			}
			res[r*k.width+int(k.columns[p])] = v
		}
	}
	y := tensor.New(tensor.Float32, shape...)
	castSlice(y.Data(), res)
	out[0] = y
	return nil
}
