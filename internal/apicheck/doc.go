// Package apicheck holds a test that keeps getcd's internal packages out of
// its public API: no exported identifier of a public package may mention an
// internal package's type in its signature, fields or methods.
package apicheck
