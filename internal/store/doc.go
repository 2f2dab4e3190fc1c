// Package store holds sspr's domain types, the small store interfaces the rest of the program
// uses, and the sentinel errors backends return. It imports no backend: implementations live in
// store/sqlite (the embedded default) and store/postgres (several instances), and both pass the
// same conformance suite in store/storetest.
//
// A sync run writes through a SyncTx, which is all-or-nothing: a run that fails, is refused by the
// accidental-delete guard, or whose process dies leaves the store as it was.
package store
