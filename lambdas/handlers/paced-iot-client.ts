import { IoTClient } from '@aws-sdk/client-iot';
import { nameDeniedPermissions } from '../iot-api/iot-errors';
import { paceIotRequests } from '../migration/iot-request-pacing';
import { HANDLER_ENVIRONMENT, requiredEnvironment } from './handler-environment';
import { tracedClient } from './lambda-runtime';

/** The function's pacing settings are missing or malformed: a deployment fault, not a request's. */
export class IotPacingConfigError extends Error {
  override readonly name = 'IotPacingConfigError';
}

/**
 * A new IoT client paced Action by Action to this function's share of the account's
 * quotas: `iotRequestsPerSecond` for every Action, with per-Action overrides from
 * `iotRequestsPerSecondByAction`. Create it once per container, so that its pacers see
 * every request the container makes.
 */
export function pacedIotClientFromEnvironment(): IoTClient {
  const quota = Number(requiredEnvironment(HANDLER_ENVIRONMENT.iotRequestsPerSecond));
  if (!(quota > 0))
    throw new IotPacingConfigError(`environment variable ${HANDLER_ENVIRONMENT.iotRequestsPerSecond} must be a number above 0`);
  const iot = tracedClient(new IoTClient({}));
  paceIotRequests(iot, quota, quotasByAction());
  nameDeniedPermissions(iot, 'iot');
  return iot;
}

function quotasByAction(): Record<string, number> {
  const text = process.env[HANDLER_ENVIRONMENT.iotRequestsPerSecondByAction];
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new IotPacingConfigError(`environment variable ${HANDLER_ENVIRONMENT.iotRequestsPerSecondByAction} is not JSON`, {
      cause: error,
    });
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((rate) => typeof rate === 'number' && rate > 0)
  )
    throw new IotPacingConfigError(
      `environment variable ${HANDLER_ENVIRONMENT.iotRequestsPerSecondByAction} must map Action names to numbers above 0`,
    );
  return parsed as Record<string, number>;
}
