/**
 * IAC-6 helper: where the composite document's `aws:downloadContent` step fetches the document it
 * then runs with `aws:runDocument`. Inputs per source type:
 * docs.aws.amazon.com/systems-manager/latest/userguide/documents-command-ssm-plugin-reference.html#aws-downloadContent
 */
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Options of {@link DownloadSource.gitHub}. */
export interface GitHubDownloadOptions {
  /** The repository owner. */
  readonly owner: string;
  /** The repository name. */
  readonly repository: string;
  /** The path of the SSM document file in the repository (`documents/harden.json`). */
  readonly path: string;
  /**
   * The branch (`main`) or a full commit id (40 hex characters), pinned in `getOptions`.
   * @default - the repository's `master` branch, as the plugin reads it
   */
  readonly gitRef?: string;
  /**
   * A SecureString parameter holding a GitHub token, for private repositories, written
   * `{{ssm-secure:name}}` in the document (the one plugin input that accepts SecureString).
   * @default - no token: a public repository
   */
  readonly tokenParameterName?: string;
}

/** Where `aws:downloadContent` fetches the document to run. */
export class DownloadSource {
  /** A document file in a GitHub repository. */
  public static gitHub(options: GitHubDownloadOptions): DownloadSource {
    const info: Record<string, string> = { owner: options.owner, repository: options.repository, path: options.path };
    if (options.gitRef) {
      info.getOptions = /^[0-9a-f]{40}$/.test(options.gitRef) ? `commitID:${options.gitRef}` : `branch:refs/remotes/origin/${options.gitRef}`;
    }
    if (options.tokenParameterName) info.tokenInfo = `{{ssm-secure:${options.tokenParameterName}}}`;
    return new DownloadSource('GitHub', info, fileName(options.path));
  }

  /**
   * A document object in S3. The nodes read it with their own credentials: grant their role
   * `bucket.grantRead(role, key)` (and the bucket key's decrypt).
   */
  public static s3(bucket: s3.IBucket, key: string): DownloadSource {
    return new DownloadSource('S3', { path: bucket.urlForObject(key) }, fileName(key));
  }

  private constructor(
    /** The plugin's `sourceType`. */
    public readonly sourceType: string,
    /** The plugin's `sourceInfo`. */
    public readonly sourceInfo: Record<string, string>,
    /** The file name the download leaves in the destination directory. */
    public readonly fileName: string,
  ) {}
}

function fileName(path: string): string {
  return path.split('/').filter((p) => p.length > 0).pop() ?? path;
}
