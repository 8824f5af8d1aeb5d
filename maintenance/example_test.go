package maintenance_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/getcd/getcd/maintenance"
)

// VerifySnapshot checks a saved snapshot offline: the database followed by
// its SHA-256, as Snapshot and etcdctl write it.
func ExampleVerifySnapshot() {
	db := bytes.Repeat([]byte("page"), 1024) // stands for a database file
	sum := sha256.Sum256(db)
	file := append(db, sum[:]...)

	size, err := maintenance.VerifySnapshot(bytes.NewReader(file))
	fmt.Println(size, err)

	file[100] ^= 1 // a flipped bit
	_, err = maintenance.VerifySnapshot(bytes.NewReader(file))
	fmt.Println(errors.Is(err, maintenance.ErrChecksum))
	// Output:
	// 4128 <nil>
	// true
}

// Requests are values; a call rejects options it does not use, before
// anything is sent.
func ExampleRequest() {
	base := maintenance.On("main")
	status := base.WithEndpoint("http://10.0.0.2:2379")
	fmt.Println(status.Conn())
	_, err := maintenance.Alarms(context.Background(), nil, status)
	fmt.Println(err)
	// Output:
	// main
	// maintenance: invalid alarm_list request: endpoint: not used by alarm_list
}
