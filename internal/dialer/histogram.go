package dialer

import "time"

// Histogram is a decayed histogram of durations: fixed-width buckets whose
// masses all shrink by the same factor before each new observation is
// added (Decay, then Add), so recent observations weigh more and the shape follows a
// campaign whose numbers change. The last bucket collects everything at or
// beyond its start. It is a plain value: it serialises as it is.
type Histogram struct {
	Width  time.Duration `json:"width"`
	Counts []float64     `json:"counts"`
}

func newHistogram(width time.Duration, buckets int) Histogram {
	return Histogram{Width: width, Counts: make([]float64, buckets)}
}

// Decay multiplies every bucket's mass by f.
func (h *Histogram) Decay(f float64) {
	for i := range h.Counts {
		h.Counts[i] *= f
	}
}

// Add records one observation of d.
func (h *Histogram) Add(d time.Duration) { h.Counts[h.bucket(d)]++ }

func (h *Histogram) bucket(d time.Duration) int {
	i := int(d / h.Width)
	if i < 0 {
		return 0
	}
	if i >= len(h.Counts) {
		return len(h.Counts) - 1
	}
	return i
}

// Mass is the histogram's total weight.
func (h *Histogram) Mass() float64 {
	var m float64
	for _, c := range h.Counts {
		m += c
	}
	return m
}

// Mean is the mean duration (each bucket at its middle); zero when empty.
func (h *Histogram) Mean() time.Duration {
	var m, sum float64
	for i, c := range h.Counts {
		m += c
		sum += c * (float64(i) + 0.5)
	}
	if m == 0 {
		return 0
	}
	return time.Duration(sum / m * float64(h.Width))
}

// Survival answers questions about how long things last from one
// histogram's suffix sums, each in constant time.
type Survival struct {
	h      *Histogram
	suffix []float64 // suffix[i] = weight of buckets i and beyond
}

// Survival returns the histogram's survival function as it is now.
func (h *Histogram) Survival() Survival {
	suffix := make([]float64, len(h.Counts)+1)
	for i := len(h.Counts) - 1; i >= 0; i-- {
		suffix[i] = suffix[i+1] + h.Counts[i]
	}
	return Survival{h: h, suffix: suffix}
}

// Mass is the histogram's total weight.
func (s Survival) Mass() float64 { return s.suffix[0] }

// Above is the weight of observations longer than d, with each bucket's
// mass spread evenly over its width (the last bucket over one width too).
func (s Survival) Above(d time.Duration) float64 {
	if d <= 0 {
		return s.suffix[0]
	}
	i := s.h.bucket(d)
	start := time.Duration(i) * s.h.Width
	frac := max(0, 1-float64(d-start)/float64(s.h.Width))
	return s.suffix[i+1] + s.h.Counts[i]*frac
}

// EndsWithin is the probability that something that has lasted elapsed
// ends within the next d; 1 when nothing observed lasted that long.
func (s Survival) EndsWithin(elapsed, d time.Duration) float64 {
	alive := s.Above(elapsed)
	if alive <= 0 {
		return 1
	}
	return clamp((alive-s.Above(elapsed+d))/alive, 0, 1)
}

func clamp(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}
