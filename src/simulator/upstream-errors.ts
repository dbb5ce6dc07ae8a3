// DashScope's error codes and the messages it sends with them, and the error the routes throw to
// answer with one. Rendered as DashScope's flat envelope { code, message, request_id }.

const MESSAGES: Record<string, string> = {
  AccessDenied: 'Access denied.',
  Arrearage: 'Access denied, please make sure your account is in good standing.',
  'BadRequest.EmptyInput': 'Required input parameter missing from request.',
  'BadRequest.EmptyModel': 'Required parameter "model" missing from request.',
  DataInspectionFailed: 'Input or output data may contain inappropriate content.',
  InternalError: 'An internal error has occured, please try again later or contact service support.',
  InvalidApiKey: 'Invalid API-key provided.',
  InvalidParameter: 'Required parameter(s) missing or invalid, please check the request parameters.',
  InvalidURL: 'Invalid URL provided in your request.',
  Throttling: 'Requests throttling triggered.',
  'Throttling.AllocationQuota': 'Allocated quota exceeded, please increase your quota limit.',
  'Throttling.RateQuota': 'Requests rate limit exceeded, please try again later.',
  UnsupportedOperation: 'Failed to cancel the task, please confirm if the task is in PENDING status.',
};

const GENERIC_MESSAGE = 'An error occurred while processing the request.';

/** The message DashScope sends with `code`; a generic one for codes it has no fixed text for. */
export const messageFor = (code: string): string => MESSAGES[code] ?? GENERIC_MESSAGE;

export class SimError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string = messageFor(code)) {
    super(message);
    this.name = 'SimError';
    this.status = status;
    this.code = code;
  }
}

export const invalidParameter = (message: string): SimError => new SimError(400, 'InvalidParameter', message);
export const internalError = (): SimError => new SimError(500, 'InternalError');
