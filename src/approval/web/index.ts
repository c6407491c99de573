// Public entry of the approver web UI: the handler the gateway mounts under /-/approve, login links, the
// request page's capability report, and the interfaces the rest of the gateway implements for it.
export { createApprovalWeb, type ApprovalWeb, type ApprovalWebOptions, type WebContext } from './app.js';
export { inviteLink, issueLoginCode, loginLink, LOGIN_CODE_TTL_MS } from './session.js';
export { capabilityReport, type CapabilityReport, type FileRow, type Tarballs } from './capabilities.js';
export { WebError, WEB_ERRORS, type WebErrorCode } from './errors.js';
export type {
  Accounts, Actor, ApprovalRequests, ApprovalRequestView, LoginCode, LoginCodeStore, ManageAction, ManageResult, NoticeView, Outcome, PackageGroupView,
  PackageManagement, PackageView, RequestGroupView, RequestState, SessionRecord, SessionStore,
} from './services.js';
