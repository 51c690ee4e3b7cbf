import { ValidationError } from '../../lambdas/iot-api/field-rules';

/**
 * Pagination for the list Actions. A marker is opaque to the caller (base64, as the
 * Marker shape requires) and names the position of the last item returned, so a page
 * stays right when items are added or removed between calls.
 */
export interface Page<T> {
  items: T[];
  nextMarker?: string;
}

const MARKER_PREFIX = 'certflow-local:';

function encodeMarker(position: number): string {
  return Buffer.from(`${MARKER_PREFIX}${position}`, 'utf8').toString('base64');
}

function decodeMarker(marker: string, field: string): number {
  const text = Buffer.from(marker, 'base64').toString('utf8');
  const position = text.startsWith(MARKER_PREFIX) ? Number(text.slice(MARKER_PREFIX.length)) : Number.NaN;
  if (!Number.isSafeInteger(position)) throw new ValidationError(field, 'is not a marker this endpoint returned');
  return position;
}

export interface PageRequest {
  pageSize: number;
  marker?: string;
  /** The request field the marker came in, for the error message. */
  markerField: string;
  descending?: boolean;
}

/** One page of `items`, which must already be sorted by `positionOf` in the requested direction. */
export function pageOf<T>(items: readonly T[], positionOf: (item: T) => number, request: PageRequest): Page<T> {
  let remaining = items;
  if (request.marker !== undefined) {
    const after = decodeMarker(request.marker, request.markerField);
    remaining = items.filter((item) => (request.descending ? positionOf(item) < after : positionOf(item) > after));
  }
  const page = remaining.slice(0, request.pageSize);
  const last = page[page.length - 1];
  return remaining.length > page.length && last !== undefined
    ? { items: page, nextMarker: encodeMarker(positionOf(last)) }
    : { items: page };
}
