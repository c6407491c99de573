// Who built a package, two ways: what Fulcio wrote into the signing certificate (the identity packsec
// reports), and what the SLSA predicate claims (which must agree with it, field by field).
import { ASN1Obj } from '@sigstore/core';
import type { Signer } from '@sigstore/verify';
import type { ProvenanceIdentity } from '../policy/index.js';

export const SLSA_V1 = 'https://slsa.dev/provenance/v1';
export const SLSA_V02 = 'https://slsa.dev/provenance/v0.2';
const GITHUB_WORKFLOW_V1 = 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1';
const NPM_GHA_V2 = 'https://github.com/npm/cli/gha/v2';
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

// Fulcio's certificate extensions (docs/oid-info.md in sigstore/fulcio), DER UTF8Strings.
const OID = {
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  buildConfigUri: '1.3.6.1.4.1.57264.1.18',
};

type Outcome<T> = { ok: T } | { reason: string };

function extension(signer: Signer, oid: string): string | undefined {
  const found = signer.identity?.oids?.find((o) => o.oid?.id.join('.') === oid);
  if (!found) return undefined;
  try {
    const obj = ASN1Obj.parseBuffer(Buffer.from(found.value));
    return obj.tag.number === 0x0c ? obj.value.toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** The identity Fulcio certified: repository, workflow file, commit and ref of the build that signed. */
export function identityFromCertificate(signer: Signer): Outcome<Required<ProvenanceIdentity>> {
  const repository = extension(signer, OID.sourceRepositoryUri);
  const commit = extension(signer, OID.sourceRepositoryDigest);
  const ref = extension(signer, OID.sourceRepositoryRef);
  const buildConfig = extension(signer, OID.buildConfigUri);
  const issuer = signer.identity?.extensions?.issuer;
  if (!repository || !commit || !ref || !buildConfig || !issuer) {
    return { reason: 'the signing certificate lacks Fulcio\'s source repository, commit, ref or build config extensions' };
  }
  // Build config URI: <repository>/<workflow path>@<ref>.
  const at = buildConfig.lastIndexOf('@');
  if (!buildConfig.startsWith(`${repository}/`) || at <= repository.length) {
    return { reason: `the certificate's build config ${buildConfig} is not a workflow of ${repository}` };
  }
  const workflow = buildConfig.slice(repository.length + 1, at).replace(/^\/+/, '');
  return { ok: { repository, workflow, commit, ref, issuer } };
}

interface Claims {
  repository: string;
  workflow: string;
  ref: string;
  commit: string;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** SLSA v1 from npm on GitHub Actions: externalParameters.workflow and the git+<repo>@<ref> dependency. */
function claimsV1(predicate: Record<string, unknown>): Outcome<Claims> {
  const definition = record(predicate.buildDefinition);
  if (definition.buildType !== GITHUB_WORKFLOW_V1) return { reason: `unsupported SLSA build type ${JSON.stringify(definition.buildType)}` };
  const workflow = record(record(definition.externalParameters).workflow);
  const repository = str(workflow.repository);
  const path = str(workflow.path);
  const ref = str(workflow.ref);
  if (!repository || !path || !ref) return { reason: 'the predicate names no workflow repository, path and ref' };
  // npm lists the source as git+<repository>@<ref>; any other first git commit is compared (and so refused) too.
  const deps = (Array.isArray(definition.resolvedDependencies) ? definition.resolvedDependencies : []).map(record);
  const source = deps.find((d) => d.uri === `git+${repository}@${ref}`) ?? deps.find((d) => str(record(d.digest).gitCommit));
  const commit = str(record(source?.digest).gitCommit);
  if (!commit) return { reason: 'the predicate names no source commit' };
  return { ok: { repository, workflow: path, ref, commit } };
}

/** SLSA v0.2 from npm on GitHub Actions (2023): invocation.configSource. */
function claimsV02(predicate: Record<string, unknown>): Outcome<Claims> {
  if (predicate.buildType !== NPM_GHA_V2) return { reason: `unsupported SLSA build type ${JSON.stringify(predicate.buildType)}` };
  const config = record(record(predicate.invocation).configSource);
  const uri = str(config.uri);
  const workflow = str(config.entryPoint);
  const commit = str(record(config.digest).sha1);
  const at = uri?.lastIndexOf('@') ?? -1;
  if (!uri?.startsWith('git+') || at < 0 || !workflow || !commit) return { reason: 'the predicate names no config source uri, entry point and commit' };
  return { ok: { repository: uri.slice(4, at), ref: uri.slice(at + 1), workflow, commit } };
}

/** Null when the predicate agrees with the certified identity, else what disagrees. */
export function checkPredicate(predicateType: string, predicate: unknown, cert: Required<ProvenanceIdentity>): string | null {
  const claims = predicateType === SLSA_V1 ? claimsV1(record(predicate)) : claimsV02(record(predicate));
  if ('reason' in claims) return claims.reason;
  if (cert.issuer !== GITHUB_ISSUER) return `a GitHub Actions build signed with a certificate from ${cert.issuer}`;
  const fields: (keyof Claims)[] = ['repository', 'workflow', 'ref', 'commit'];
  for (const f of fields) {
    if (claims.ok[f] !== cert[f]) return `the predicate says ${f} ${claims.ok[f]}, the certificate says ${cert[f]}`;
  }
  return null;
}
