// Public entry of `packsec status`: notices from the registry about the installed packages in the lock.
export { collectStatus, registryNameOf, statusExitCode, type AdvisoryQuery, type BulkResult, type PackageStatus, type StatusOptions, type StatusPowers, type StatusReport } from './collect.js';
export { AUDIT_LEVELS, failsAt, matchAdvisories, readBulkAnswer, severityRank, type Advisory, type AuditLevel } from './advisories.js';
export { checkNotices, readNoticeAnswer, type NoticeAnswer, type UnverifiedNotice, type VerifiedNotice } from './notices.js';
export { checkPublishers, type PublisherCheck, type PublisherInput, type PublisherNotice, type PublisherNoticeKind } from './publishers.js';
export { displayRegistry, npmStatusPowers } from './npm.js';
