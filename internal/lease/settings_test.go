package lease_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/frogbridge/frogbridge/internal/lease"
)

type nopCred struct{}

func (nopCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "x", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestNewContainerClient(t *testing.T) {
	tests := []struct {
		name    string
		s       lease.Settings
		cred    azcore.TokenCredential
		wantURL string
		wantErr string
	}{
		{"dev storage", lease.Settings{ConnectionString: "UseDevelopmentStorage=true"}, nil, "http://127.0.0.1:10000/devstoreaccount1/locks", ""},
		{"connection string", lease.Settings{ConnectionString: "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net"}, nil,
			"https://acct.blob.core.windows.net/locks", ""},
		{"service uri", lease.Settings{BlobServiceURI: "https://acct.blob.core.windows.net/"}, nopCred{}, "https://acct.blob.core.windows.net/locks", ""},
		{"account name", lease.Settings{AccountName: "acct"}, nopCred{}, "https://acct.blob.core.windows.net/locks", ""},
		{"connection string wins", lease.Settings{ConnectionString: "UseDevelopmentStorage=true", AccountName: "acct"}, nopCred{}, "http://127.0.0.1:10000/devstoreaccount1/locks", ""},
		{"nothing", lease.Settings{}, nopCred{}, "", "set AzureWebJobsStorage"},
		{"identity without credential", lease.Settings{AccountName: "acct"}, nil, "", "credential"},
		{"bad uri", lease.Settings{BlobServiceURI: "acct.blob"}, nopCred{}, "", "absolute http(s) URL"},
		{"bad connection string", lease.Settings{ConnectionString: "garbage"}, nil, "", "not a valid storage connection string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := lease.NewContainerClient(tc.s, tc.cred, "locks", nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.URL() != tc.wantURL {
				t.Errorf("URL = %q, want %q", c.URL(), tc.wantURL)
			}
		})
	}
}

func TestNewLockerOptions(t *testing.T) {
	c, err := lease.NewContainerClient(lease.Settings{ConnectionString: "UseDevelopmentStorage=true"}, nil, "locks", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    lease.LockerOptions
		ok   bool
	}{
		{"defaults", lease.LockerOptions{}, true},
		{"15s", lease.LockerOptions{LeaseDuration: 15 * time.Second}, true},
		{"too short", lease.LockerOptions{LeaseDuration: 10 * time.Second}, false},
		{"too long", lease.LockerOptions{LeaseDuration: 61 * time.Second}, false},
		{"renew too slow", lease.LockerOptions{LeaseDuration: 20 * time.Second, RenewInterval: 20 * time.Second}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := lease.NewLocker(c, "b", &tc.o); (err == nil) != tc.ok {
				t.Errorf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
