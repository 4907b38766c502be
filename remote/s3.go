package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// s3Bucket is a bucket of AWS S3 or of an S3-compatible service, through
// github.com/minio/minio-go (a few megabytes and seconds to build, where
// the AWS SDK takes minutes).
type s3Bucket struct {
	c      *minio.Client
	bucket string
	prefix string
}

// The URL options are those of gocloud.dev's s3blob that make sense here,
// so that existing URLs keep working.
var s3Options = []string{"region", "endpoint", "use_path_style", "disable_https", "prefix", "profile", "anonymous"}

func openS3(_ context.Context, u *url.URL) (backend, error) {
	q, err := queryOptions(u, s3Options...)
	if err != nil {
		return nil, err
	}
	flag := func(k string) (bool, error) {
		v := q.Get(k)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("option %s=%q: want true or false", k, v)
		}
		return b, nil
	}
	pathStyle, err := flag("use_path_style")
	if err != nil {
		return nil, err
	}
	noTLS, err := flag("disable_https")
	if err != nil {
		return nil, err
	}
	anonymous, err := flag("anonymous")
	if err != nil {
		return nil, err
	}
	region := q.Get("region")
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	host, secure := "s3.amazonaws.com", !noTLS
	if ep := q.Get("endpoint"); ep != "" {
		if !strings.Contains(ep, "://") {
			ep = "https://" + ep
		}
		e, err := url.Parse(ep)
		if err != nil || e.Host == "" || (e.Scheme != "http" && e.Scheme != "https") || strings.Trim(e.Path, "/") != "" {
			return nil, fmt.Errorf("option endpoint=%q: want http://host[:port] or https://host[:port]", q.Get("endpoint"))
		}
		host, secure = e.Host, e.Scheme == "https" && !noTLS
	}
	var creds *credentials.Credentials
	if anonymous {
		creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	} else {
		providers := []credentials.Provider{&credentials.EnvAWS{}, &credentials.FileAWSCredentials{Profile: q.Get("profile")}}
		if v, _ := strconv.ParseBool(os.Getenv("AWS_EC2_METADATA_DISABLED")); !v {
			// Instance, task (ECS) and web-identity (EKS) roles.
			providers = append(providers, &credentials.IAM{Client: &http.Client{Transport: http.DefaultTransport}})
		}
		creds = credentials.NewChainCredentials(providers)
	}
	lookup := minio.BucketLookupAuto
	if pathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(host, &minio.Options{
		Creds: creds, Secure: secure, Region: region, BucketLookup: lookup,
		MaxRetries: 3, // as the AWS SDK: a dead server costs seconds, not minutes
	})
	if err != nil {
		return nil, err
	}
	return &s3Bucket{c: c, bucket: u.Host, prefix: q.Get("prefix")}, nil
}

// s3Error makes a missing object wrap fs.ErrNotExist and a refused request
// fs.ErrPermission.
func s3Error(err error) error {
	if err == nil {
		return nil
	}
	r := minio.ToErrorResponse(err)
	switch {
	case r.StatusCode == http.StatusNotFound && r.Code != "NoSuchBucket", r.Code == "NoSuchKey":
		return fmt.Errorf("%w: %v", fs.ErrNotExist, err)
	case r.StatusCode == http.StatusForbidden, r.Code == "AccessDenied":
		return fmt.Errorf("%w: %v", fs.ErrPermission, err)
	}
	return err
}

func (s *s3Bucket) get(ctx context.Context, name string, max int64) ([]byte, error) {
	obj, err := s.c.GetObject(ctx, s.bucket, s.prefix+name, minio.GetObjectOptions{})
	if err != nil {
		return nil, s3Error(err)
	}
	defer obj.Close()
	info, err := obj.Stat() // sends the request
	if err != nil {
		return nil, s3Error(err)
	}
	b, err := readLimited(obj, info.Size, max)
	return b, s3Error(err)
}

func (s *s3Bucket) put(ctx context.Context, name string, b []byte) error {
	_, err := s.c.PutObject(ctx, s.bucket, s.prefix+name, bytes.NewReader(b), int64(len(b)),
		minio.PutObjectOptions{ContentType: "application/octet-stream"})
	return s3Error(err)
}

func (s *s3Bucket) exists(ctx context.Context, name string) (bool, error) {
	_, err := s.c.StatObject(ctx, s.bucket, s.prefix+name, minio.StatObjectOptions{})
	if err = s3Error(err); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (s *s3Bucket) close() error { return nil }
