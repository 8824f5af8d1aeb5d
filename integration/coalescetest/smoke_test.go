package coalescetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
)

func TestSmoke(t *testing.T) {
	c := open(t, conn.Coalescing{Enabled: true})
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Go(func() {
			for i := range 50 {
				k := fmt.Sprintf("smoke/%d/%d", g, i)
				pr, err := c.Put(ctx, kv.New().WithKey(k).WithValue("v"))
				if err != nil {
					t.Errorf("put: %v", err)
					return
				}
				gr, err := c.Get(ctx, kv.New().WithKey(k))
				if err != nil || len(gr.KVs) != 1 || gr.KVs[0].ModRevision != pr.Header.Revision || gr.Header.Revision < pr.Header.Revision {
					t.Errorf("get: %v %+v after put rev %d", err, gr, pr.Header.Revision)
					return
				}
			}
		})
	}
	wg.Wait()
	t.Log(c.CoalesceStats())
}
