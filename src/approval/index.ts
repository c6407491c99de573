// Public entry of the approval domain: the database (PGlite or PostgreSQL), the approval rule, and the
// service the gateway's HTTP and WebAuthn layers call (groups, invites, requests, devices, notices).
export { openDb, redactUrl, type Db, type DbOptions, type Sql } from './db.js';
export { migrate, MIGRATIONS, type Migration } from './schema.js';
export { ApprovalError, APPROVAL_ERRORS, type ApprovalErrorCode } from './errors.js';
export { decide, effectiveGroups, type Actor, type Approval, type Decision, type Group, type GroupTally, type Permission, type Refusal, type RequestFacts, type RequestStatus } from './rule.js';
export { ApprovalService, APPROVAL_DEFAULTS, type ApprovalSettings, type Outcome, type Via } from './service.js';
export { Devices, DEVICE_DEFAULTS, sessionId, type DeviceSettings, type VerifiedAssertion, type VerifiedLogin, type VerifiedRegistration } from './service-devices.js';
export { Notices, verifyNotice, type NoticeInput } from './service-notices.js';
export { noticeMessage, type SecurityNotice } from '../util/notice.js';
export { scopeOf, type GroupRecord, type RequestRecord } from './store.js';
export type { Challenge, ChallengePurpose, Credential, PushSubscription, Session } from './store-devices.js';
