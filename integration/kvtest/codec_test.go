package kvtest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/getcd/getcd/compare"
	"github.com/getcd/getcd/conn"
	kv "github.com/getcd/getcd/ctx"
	"github.com/getcd/getcd/op"
)

// getcd's wire codec and etcd's generated messages give the same results
// for the same reads on a real server, and raw gRPC stubs agree on what the
// codec's writes did. Reads are pinned to one revision, so the three see
// the same store.
func TestCodecMatchesGeneratedMessages(t *testing.T) {
	codec := open(t, nil, conn.Config{})
	gen := open(t, nil, conn.Config{GeneratedMessages: true})
	ctx := testCtx(t)
	p := prefix(t)

	// Writes through the codec: puts with values of several sizes (one past
	// a 16 KiB HTTP/2 frame), a put with its previous key, a delete with
	// the deleted keys, a transaction with nested operations.
	for i := range 40 {
		v := fmt.Sprintf("%0*d", 1+i*i*12, i)
		if _, err := codec.Put(ctx, kv.New().WithKey(fmt.Sprintf("%sk/%02d", p, i)).WithValue(v)); err != nil {
			t.Fatal(err)
		}
	}
	put, err := codec.Put(ctx, kv.New().WithKey(p+"k/00").WithValue("again").WithPrevKV())
	if err != nil || put.PrevKV == nil || string(put.PrevKV.Value) != "0" {
		t.Fatalf("put with prev_kv: %+v, %v", put, err)
	}
	del, err := codec.Delete(ctx, kv.New().WithKey(p+"k/3").WithPrefix().WithPrevKV())
	if err != nil || del.Deleted != 10 || len(del.PrevKVs) != 10 {
		t.Fatalf("delete with prev_kv: deleted %d, %d prev, %v", del.Deleted, len(del.PrevKVs), err)
	}
	txn := op.If(compare.Key(p+"k/01").Version(compare.Equal, 1)).
		Then(op.Get(kv.New().WithKey(p+"k/").WithPrefix().WithLimit(5).WithSort(kv.SortByKey, kv.SortDescend)),
			op.Put(kv.New().WithKey(p+"t").WithValue("x").WithPrevKV()),
			op.Nested(op.NewTxn().Then(op.Delete(kv.New().WithKey(p+"k/02").WithPrevKV()), op.Get(kv.New().WithKey(p+"t")))))
	tr, err := codec.Txn(ctx, txn)
	if err != nil || !tr.Succeeded || len(tr.Responses) != 3 || tr.Responses[2].Txn == nil {
		t.Fatalf("txn: %+v, %v", tr, err)
	}
	rev := tr.Header.Revision

	reads := []kv.Request{
		kv.New().WithKey(p).WithPrefix(),
		kv.New().WithKey(p+"k/").WithPrefix().WithSort(kv.SortByValue, kv.SortDescend).WithLimit(7),
		kv.New().WithKey(p + "k/").WithPrefix().WithKeysOnly(),
		kv.New().WithKey(p + "k/").WithPrefix().WithCountOnly(),
		kv.New().WithKey(p + "k/1").WithRangeEnd(p + "k/2").WithMinModRev(1),
		kv.New().WithKey(p + "t"),
		kv.New().WithKey(p + "absent"),
	}
	for i, r := range reads {
		r = r.WithRev(rev)
		a, err := codec.Get(ctx, r)
		if err != nil {
			t.Fatalf("read %d through the codec: %v", i, err)
		}
		b, err := gen.Get(ctx, r)
		if err != nil {
			t.Fatalf("read %d through generated messages: %v", i, err)
		}
		if d := cmp.Diff(b, a, exactBytes); d != "" {
			t.Errorf("read %d differs (-generated +codec):\n%s", i, d)
		}
		// The same read as a transaction's operation.
		ta, err := codec.Txn(ctx, op.NewTxn().Then(op.Get(r)))
		if err != nil {
			t.Fatal(err)
		}
		tb, err := gen.Txn(ctx, op.NewTxn().Then(op.Get(r)))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tb.Responses, ta.Responses, exactBytes); d != "" {
			t.Errorf("read %d in a txn differs (-generated +codec):\n%s", i, d)
		}
	}

	// What the codec's writes did, read with raw stubs.
	raw := pb.NewKVClient(gen.ClientConn())
	rr, err := raw.Range(ctx, &pb.RangeRequest{Key: []byte(p), RangeEnd: []byte(p + "\xff"), Revision: rev})
	if err != nil {
		t.Fatal(err)
	}
	all, err := codec.Get(ctx, kv.New().WithKey(p).WithPrefix().WithRev(rev))
	if err != nil {
		t.Fatal(err)
	}
	if len(rr.Kvs) != len(all.KVs) || all.Count != rr.Count || len(all.KVs) != 40-10-1+1 {
		t.Fatalf("raw stubs read %d keys (count %d), the codec %d (count %d)", len(rr.Kvs), rr.Count, len(all.KVs), all.Count)
	}
	for i, m := range rr.Kvs {
		got := all.KVs[i]
		if string(m.Key) != string(got.Key) || string(m.Value) != string(got.Value) || m.ModRevision != got.ModRevision ||
			m.CreateRevision != got.CreateRevision || m.Version != got.Version || m.Lease != got.Lease {
			t.Fatalf("key %d: raw %v, codec %+v", i, m, got)
		}
	}
}

// exactBytes compares byte slices at once rather than byte by byte (values
// here reach 18 KB), telling nil from empty as cmp does.
var exactBytes = cmp.Comparer(func(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) })

// The size limit holds for the codec's requests: one larger than
// MaxCallSendMsgSize is refused before it is sent, a transaction as well as
// a put, and a read of a future revision maps to its sentinel.
func TestCodecErrors(t *testing.T) {
	c := open(t, nil, conn.Config{MaxCallSendMsgSize: 1024})
	ctx := testCtx(t)
	p := prefix(t)
	for name, call := range map[string]func() error{
		"put": func() error {
			_, err := c.Put(ctx, kv.New().WithKey(p+"big").WithValue(string(make([]byte, 2000))))
			return err
		},
		"txn": func() error {
			_, err := c.Txn(ctx, op.NewTxn().Then(op.Put(kv.New().WithKey(p+"big").WithValue(string(make([]byte, 2000))))))
			return err
		},
	} {
		err := call()
		var ce *conn.Error
		if !errors.Is(err, conn.ErrRequestTooLarge) || !errors.As(err, &ce) || !ce.NotSent {
			t.Errorf("oversized %s: %v, want ErrRequestTooLarge, not sent", name, err)
		}
	}
	r, err := c.Put(ctx, kv.New().WithKey(p+"small").WithValue(string(make([]byte, 900))))
	if err != nil {
		t.Fatalf("a put under the limit: %v", err)
	}
	if _, err := c.Get(ctx, kv.New().WithKey(p+"small").WithRev(r.Header.Revision+1000)); !errors.Is(err, conn.ErrFutureRev) {
		t.Errorf("get of a future revision: %v, want ErrFutureRev", err)
	}
}
