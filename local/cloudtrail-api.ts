import { ApiError } from './common';

/*
 * CloudTrail's API, as far as the command-line tool reads it (DescribeTrails, GetTrailStatus,
 * GetEventSelectors; awsJson1_1), over a small description of the trails of each account. As in AWS, a
 * Region sees the trails homed there and, with includeShadowTrails (the default), the multi-Region trails
 * of other Regions and the organization's trails of the management account; a trail of another Region
 * is found by its ARN only. The description does not change what `LocalCloudTrail` delivers.
 */

export const CLOUDTRAIL_TARGET_PREFIX = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';

/** A basic event selector. */
export interface LocalEventSelector {
  readonly ReadWriteType?: 'ReadOnly' | 'WriteOnly' | 'All';
  readonly IncludeManagementEvents?: boolean;
}

/** An advanced event selector. */
export interface LocalAdvancedEventSelector {
  readonly Name?: string;
  readonly FieldSelectors: Array<{ readonly Field: string; readonly Equals?: string[]; readonly NotEquals?: string[] }>;
}

/** One trail, as a test describes it. */
export interface LocalTrail {
  readonly name: string;
  /** The account that owns it. @default the management account */
  readonly accountId?: string;
  /** @default 'us-east-1' */
  readonly homeRegion?: string;
  /** @default true */
  readonly multiRegion?: boolean;
  /** @default false */
  readonly organizationTrail?: boolean;
  /** Whether it logs (StartLogging). @default true */
  readonly logging?: boolean;
  /** Its basic selectors. @default management events, read and write */
  readonly eventSelectors?: LocalEventSelector[];
  /** Its advanced selectors, in place of basic ones. @default none */
  readonly advancedEventSelectors?: LocalAdvancedEventSelector[];
}

export class LocalCloudTrailApi {
  /**
   * The trails of every account. Undefined (the default): what `LocalCloudTrail.logging` implies, one
   * multi-Region trail of the management account logging management events when it is on, none otherwise.
   */
  public trails?: LocalTrail[];

  constructor(private readonly managementAccountId: () => string, private readonly logging: () => boolean,
    private readonly isMember: (accountId: string) => boolean) {}

  /** Serves one operation for `caller`, in the Region of the request's signature (its `authorization` header). */
  public dispatch(operation: string, body: Record<string, unknown>, caller: string, authorization: string): unknown {
    const region = /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(authorization)?.[1] ?? 'us-east-1';
    switch (operation) {
      case 'DescribeTrails': return this.describeTrails(body, caller, region);
      case 'GetTrailStatus': return { IsLogging: this.find(body.Name, 'Name', caller, region).logging ?? true };
      case 'GetEventSelectors': {
        const trail = this.find(body.TrailName, 'TrailName', caller, region);
        const TrailARN = arnOf(trail, this.managementAccountId());
        if (trail.advancedEventSelectors) return { TrailARN, AdvancedEventSelectors: trail.advancedEventSelectors };
        const selectors = trail.eventSelectors ?? [{ ReadWriteType: 'All', IncludeManagementEvents: true }];
        return { TrailARN, EventSelectors: selectors.map(s => ({ ReadWriteType: s.ReadWriteType ?? 'All', IncludeManagementEvents: s.IncludeManagementEvents ?? true, DataResources: [] })) };
      }
      default: throw new ApiError(400, 'UnknownOperationException', `Operation ${operation} is not served locally`);
    }
  }

  private all(): LocalTrail[] {
    return this.trails ?? (this.logging() ? [{ name: 'management-events' }] : []);
  }

  /** The trails `caller` sees in `region`: its own homed there, and with shadows, its multi-Region ones and the organization's. */
  private visible(caller: string, region: string, shadows: boolean): LocalTrail[] {
    const management = this.managementAccountId();
    return this.all().filter(t => {
      const owner = t.accountId ?? management;
      const ownOrOrganization = owner === caller || (t.organizationTrail === true && owner === management && this.isMember(caller));
      if (!ownOrOrganization) return false;
      const home = (t.homeRegion ?? 'us-east-1') === region;
      if (home && owner === caller) return true;
      // A shadow: another Region's multi-Region trail, or the organization's trail seen from a member.
      return shadows && ((t.multiRegion ?? true) || home);
    });
  }

  private describeTrails(body: Record<string, unknown>, caller: string, region: string): unknown {
    if (body.includeShadowTrails !== undefined && typeof body.includeShadowTrails !== 'boolean') {
      throw new ApiError(400, 'SerializationException', 'includeShadowTrails must be a boolean');
    }
    const names = body.trailNameList;
    if (names !== undefined && (!Array.isArray(names) || names.some(n => typeof n !== 'string'))) {
      throw new ApiError(400, 'SerializationException', 'trailNameList must be a list of strings');
    }
    const management = this.managementAccountId();
    const trails = this.visible(caller, region, body.includeShadowTrails !== false)
      .filter(t => !names?.length || (names as string[]).some(n => n === t.name || n === arnOf(t, management)));
    return {
      trailList: trails.map(t => ({
        Name: t.name,
        S3BucketName: `trail-${t.accountId ?? management}`,
        IncludeGlobalServiceEvents: true,
        IsMultiRegionTrail: t.multiRegion ?? true,
        HomeRegion: t.homeRegion ?? 'us-east-1',
        TrailARN: arnOf(t, management),
        LogFileValidationEnabled: false,
        HasCustomEventSelectors: t.eventSelectors !== undefined || t.advancedEventSelectors !== undefined,
        HasInsightSelectors: false,
        IsOrganizationTrail: t.organizationTrail ?? false,
      })),
    };
  }

  /** The trail a name (of a trail homed in `region` and owned by the caller) or an ARN (of any visible trail) names. */
  private find(value: unknown, field: string, caller: string, region: string): LocalTrail {
    if (typeof value !== 'string' || !value) throw new ApiError(400, 'InvalidTrailNameException', `${field} must not be empty`);
    const management = this.managementAccountId();
    const trail = value.startsWith('arn:')
      ? this.visible(caller, region, true).find(t => arnOf(t, management) === value)
      : this.visible(caller, region, false).find(t => t.name === value);
    if (!trail) throw new ApiError(400, 'TrailNotFoundException', `Unknown trail: ${value} for the user: ${caller}`);
    return trail;
  }
}

function arnOf(trail: LocalTrail, managementAccountId: string): string {
  return `arn:aws:cloudtrail:${trail.homeRegion ?? 'us-east-1'}:${trail.accountId ?? managementAccountId}:trail/${trail.name}`;
}
