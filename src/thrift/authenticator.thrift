/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AuthenticatorService: the gateway's login to the Key Manager, one
 * TCompactProtocol message per HTTPS POST to /thriftAuthenticator
 * (Carbon identity's thrift authentication servlet).  The result is the
 * session id passed to every APIKeyValidationService call.
 */

namespace java org.wso2.carbon.identity.thrift.authentication.internal.generatedCode
namespace c_glib AmThrift

exception AuthenticationException {
	1: required string message
}

service AuthenticatorService {
	string authenticate (1: required string userName, 2: required string password)
		throws (1: AuthenticationException ae)
}
