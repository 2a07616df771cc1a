// Package lease is a cross-instance lock built on an Azure Blob Storage
// lease (azblob): the instance that holds the lease on one blob holds the
// lock. The lease lasts LockerOptions.LeaseDuration (60 s by default) and is
// renewed in the background while held, so a crashed holder frees the lock
// within one lease duration; the container and blob are created on first use.
//
// Storage comes from the Functions host settings (see [Settings]): the
// AzureWebJobsStorage connection string, or the identity-based
// AzureWebJobsStorage__blobServiceUri / __accountName with a TokenCredential.
package lease
