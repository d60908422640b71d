#!/bin/bash
test_description='SigV4: presigned URLs and header signatures byte for byte as botocore makes them'
. "$(dirname "$0")/test-lib.sh"

# s3rver accepts any signature, so a wrong one would pass every S3 test
# that talks to it: here each row of the table is signed twice, by our
# lfs-server/store/sigv4.c (the unit test binary run as a driver) and by
# Debian's python3-botocore with the same credentials and a frozen clock
# (sigv4-botocore.py), and the two must agree to the byte.  Row kinds:
#   presign  botocore.auth.S3SigV4QueryAuth on a URL
#   object   an S3 client's generate_presigned_url for bucket and key,
#            path-style or virtual-hosted (the driver builds the URL as
#            store/s3.c does, with sigv4_uri_encode)
#   headers  botocore.auth.S3SigV4Auth: canonical request + Authorization
# Fields are separated by ";;"; the first is the row's name.

DRIVER="$TEST_ROOT/build/tests/unit/sigv4.t"
REF="$TEST_ROOT/tests/integration/sigv4-botocore.py"
# The machine's AWS settings must not reach botocore.
unset $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p')

AK=AKIAIOSFODNN7EXAMPLE
SK=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
OID=a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447
LONG=$(printf 'k%.0s' $(seq 1000))
T=1700000000	# 2023-11-14T22:13:20Z

cat >table <<EOF
AWS docs presigned GET example;;presign;;$AK;;$SK;;us-east-1;;GET;;https://examplebucket.s3.amazonaws.com/test.txt;;1369353600;;86400
s3rver on a loopback port, path-style;;presign;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568/lfs-t9050/objects/a9/48/$OID;;$T;;600
IPv6 loopback with port;;presign;;$AK;;$SK;;us-east-1;;GET;;http://[::1]:9000/bucket/objects/a9/48/$OID;;$T;;600
https on a non-default port;;presign;;$AK;;$SK;;eu-central-1;;GET;;https://s3.example.test:8443/bucket/k;;$T;;600
virtual-hosted AWS with prefix;;presign;;$AK;;$SK;;eu-central-1;;GET;;https://bucket.s3.eu-central-1.amazonaws.com/lfs/objects/a9/48/$OID;;$T;;600
R2 region auto;;presign;;$AK;;$SK;;auto;;GET;;https://acct123.r2.cloudflarestorage.com/bucket/objects/a9/48/$OID;;$T;;600
B2 region;;presign;;$AK;;$SK;;us-west-004;;GET;;https://s3.us-west-004.backblazeb2.com/bucket/k;;$T;;600
Garage region;;presign;;$AK;;$SK;;garage;;GET;;http://127.0.0.1:3900/bucket/k;;$T;;600
expiry 1 s;;presign;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568/b/k;;$T;;1
expiry 7 days;;presign;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568/b/k;;$T;;604800
PUT;;presign;;$AK;;$SK;;us-east-1;;PUT;;http://127.0.0.1:4568/b/k;;$T;;600
HEAD;;presign;;$AK;;$SK;;us-east-1;;HEAD;;http://127.0.0.1:4568/b/k;;$T;;600
DELETE;;presign;;$AK;;$SK;;us-east-1;;DELETE;;http://127.0.0.1:4568/b/k;;$T;;600
path with encoded space and unicode;;presign;;$AK;;$SK;;us-east-1;;GET;;https://s3.example.test/b/%C3%BC%20ber%20%E2%82%AC.bin;;$T;;600
path with encoded reserved characters;;presign;;$AK;;$SK;;us-east-1;;GET;;https://s3.example.test/b/a%2Bb%3Dc%26d%3F%23;;$T;;600
path with tilde and dots;;presign;;$AK;;$SK;;us-east-1;;GET;;https://s3.example.test/b/~user/.hidden/a..b;;$T;;600
path of a 1000-byte key;;presign;;$AK;;$SK;;us-east-1;;GET;;https://s3.example.test/b/$LONG;;$T;;600
bucket root;;presign;;$AK;;$SK;;us-east-1;;GET;;https://bucket.s3.example.test/;;$T;;600
access key id and secret with odd characters;;presign;;minio+admin@corp=1;;s3cr3t/+=~ !x;;us-east-1;;GET;;http://127.0.0.1:9000/b/k;;$T;;600
one second before midnight;;presign;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568/b/k;;1369439999;;600
midnight;;presign;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568/b/k;;1369440000;;600
after 2038;;presign;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568/b/k;;4102444800;;600
the epoch;;presign;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568/b/k;;0;;600
client, path-style on s3rver;;object;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568;;lfs-t9050;;objects/a9/48/$OID;;path;;$T;;600
client, path-style with a prefix;;object;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568;;lfs-t9050;;mirror/objects/a9/48/$OID;;path;;$T;;600
client, path-style on IPv6 loopback;;object;;$AK;;$SK;;us-east-1;;GET;;http://[::1]:4568;;lfs-t9050;;objects/a9/48/$OID;;path;;$T;;600
client, virtual-hosted AWS, key with space and unicode;;object;;$AK;;$SK;;eu-west-1;;GET;;https://s3.eu-west-1.amazonaws.com;;my-bucket;;dir/ü ber €.bin;;virtual;;$T;;600
client, virtual-hosted on a port, key with reserved characters;;object;;$AK;;$SK;;us-east-1;;GET;;http://s3.example.test:9000;;lfs-objects;;a+b=c&d!'()*~,;:@\$.txt;;virtual;;$T;;600
client, path-style R2;;object;;$AK;;$SK;;auto;;GET;;https://acct123.r2.cloudflarestorage.com;;lfs-objects;;objects/a9/48/$OID;;path;;$T;;600
client, virtual-hosted B2;;object;;$AK;;$SK;;us-west-004;;GET;;https://s3.us-west-004.backblazeb2.com;;lfs-objects;;objects/a9/48/$OID;;virtual;;$T;;600
client, PUT path-style;;object;;$AK;;$SK;;us-east-1;;PUT;;http://127.0.0.1:4568;;lfs-t9050;;objects/a9/48/$OID;;path;;$T;;600
client, HEAD virtual-hosted;;object;;$AK;;$SK;;eu-central-1;;HEAD;;https://s3.eu-central-1.amazonaws.com;;lfs-objects;;objects/a9/48/$OID;;virtual;;$T;;3600
client, expiry 1 s;;object;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568;;lfs-t9050;;k;;path;;$T;;1
client, expiry 7 days;;object;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568;;lfs-t9050;;k;;path;;$T;;604800
headers: AWS docs GET Object example;;headers;;$AK;;$SK;;us-east-1;;GET;;https://examplebucket.s3.amazonaws.com/test.txt;;1369353600;;body:;;Range=bytes=0-9
headers: AWS docs PUT Object example;;headers;;$AK;;$SK;;us-east-1;;PUT;;https://examplebucket.s3.amazonaws.com/test%24file.text;;1369353600;;body:Welcome to Amazon S3.;;x-amz-storage-class=REDUCED_REDUNDANCY
headers: AWS docs GET Bucket Lifecycle example;;headers;;$AK;;$SK;;us-east-1;;GET;;https://examplebucket.s3.amazonaws.com/?lifecycle;;1369353600;;body:
headers: AWS docs List Objects example, query out of order;;headers;;$AK;;$SK;;us-east-1;;GET;;https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2;;1369353600;;body:
headers: CreateMultipartUpload;;headers;;$AK;;$SK;;us-east-1;;POST;;http://127.0.0.1:4568/lfs-t9050/objects/a9/48/$OID?uploads;;$T;;body:;;Content-Type=application/octet-stream
headers: UploadPart, unsigned payload;;headers;;$AK;;$SK;;us-east-1;;PUT;;https://s3.example.test:8443/lfs-t9050/objects/a9/48/$OID?partNumber=2&uploadId=VXBsb2FkSUQ%3D;;$T;;UNSIGNED-PAYLOAD;;Content-Length=8388608
headers: CompleteMultipartUpload with an XML body;;headers;;$AK;;$SK;;us-east-1;;POST;;http://127.0.0.1:4568/lfs-t9050/k?uploadId=abc;;$T;;body:<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"e"</ETag></Part></CompleteMultipartUpload>;;Content-Type=application/xml
headers: AbortMultipartUpload;;headers;;$AK;;$SK;;us-east-1;;DELETE;;http://127.0.0.1:4568/lfs-t9050/k?uploadId=abc;;$T;;body:
headers: ListObjectsV2 with encoded prefix and token;;headers;;$AK;;$SK;;us-east-1;;GET;;http://127.0.0.1:4568/lfs-t9050?list-type=2&prefix=objects%2Fa9%2F&continuation-token=abc%3D%3D&max-keys=1000;;$T;;body:
headers: HEAD on IPv6 loopback;;headers;;$AK;;$SK;;us-east-1;;HEAD;;http://[::1]:4568/lfs-t9050/k;;$T;;body:
headers: R2 region auto, https;;headers;;$AK;;$SK;;auto;;GET;;https://acct123.r2.cloudflarestorage.com/bucket/k;;$T;;UNSIGNED-PAYLOAD
headers: white space in values trimmed and collapsed;;headers;;$AK;;$SK;;us-east-1;;PUT;;http://127.0.0.1:4568/b/k;;$T;;body:x;;X-Amz-Meta-Note=  two   spaces   and more  |Content-Type=text/plain
headers: mixed-case names;;headers;;$AK;;$SK;;us-east-1;;PUT;;http://127.0.0.1:4568/b/k;;$T;;body:x;;X-AMZ-Meta-Foo=1|content-TYPE=text/plain|X-Amz-Storage-Class=STANDARD
EOF

sed 's/;;.*//' table >names
sed 's/^[^;]*;;//; s/;;/\t/g' table >rows

test_expect_success 'setup: the driver is built and botocore is importable' '
	test -x "$DRIVER" || { echo "build it first: make build/tests/unit/sigv4.t"; false; } &&
	/usr/bin/python3 -c "import botocore.auth, botocore.session" &&
	"$DRIVER" --driver <rows >ours.out &&
	/usr/bin/python3 "$REF" <rows >botocore.out &&
	test $(wc -l <ours.out) = $(wc -l <rows) &&
	test $(wc -l <botocore.out) = $(wc -l <rows)
'

i=0
while IFS= read -r name; do
	i=$((i + 1))
	test_expect_success "row $i: $name" "
		ours=\$(sed -n '${i}p' ours.out) &&
		ref=\$(sed -n '${i}p' botocore.out) &&
		echo \"ours:     \$ours\" &&
		echo \"botocore: \$ref\" &&
		case \"\$ours\" in ''|ERROR*) false ;; esac &&
		test \"\$ours\" = \"\$ref\"
	"
done <names

test_done
