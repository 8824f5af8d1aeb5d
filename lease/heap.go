package lease

// dueHeap orders the kept leases by the time of their next action (a
// renewal to send, or a confirmation to start), so that the stream loop
// finds what is due without scanning every lease: with 10,000 leases
// renewed every few seconds a scan per wake-up would dominate.
type dueHeap []*tracked

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}

func (h *dueHeap) Push(x any) {
	t := x.(*tracked)
	t.idx = len(*h)
	*h = append(*h, t)
}

func (h *dueHeap) Pop() any {
	old := *h
	n := len(old) - 1
	t := old[n]
	old[n] = nil
	t.idx = -1
	*h = old[:n]
	return t
}
