// DashScope response bodies as recorded or documented in shared/research/dashscope.md (sections 3-5).
// Kept verbatim, including the "xxxxxx" the official docs use to elide ids. Where the doc names a
// code but gives no message or request_id (Workspace.AccessDenied, IPInfringementSuspect...), the
// message and the short "r-N" ids are placeholders.

export const submitAccepted = {
  output: { task_status: 'PENDING', task_id: '0385dc79-5ff8-4d82-bcb6-xxxxxx' },
  request_id: '4909100c-7b5a-9f92-bfe5-xxxxxx',
};

/** [HTTP status, body] of the documented error envelopes, keyed by code. */
export const errorEnvelopes = {
  InvalidApiKey: [401, { code: 'InvalidApiKey', message: 'Invalid API-key provided.', request_id: 'a1c0561c-1dfe-98a6-a62f-983577b8bc5e' }],
  InvalidParameter: [
    400,
    { code: 'InvalidParameter', message: 'Required parameter(s) missing or invalid, please check the request parameters.', request_id: 'a5898c04-0001' },
  ],
  'InvalidParameter.DataInspection': [
    400,
    { code: 'InvalidParameter.DataInspection', message: 'Unable to download the media resource during the data inspection process.', request_id: 'r-3' },
  ],
  DataInspectionFailed: [400, { code: 'DataInspectionFailed', message: 'Input or output data may contain inappropriate content.', request_id: 'r-4' }],
  IPInfringementSuspect: [400, { code: 'IPInfringementSuspect', message: 'Input data is suspected of being involved in IP infringement.', request_id: 'r-5' }],
  InvalidURL: [400, { code: 'InvalidURL', message: 'Invalid URL provided in your request.', request_id: 'r-6' }],
  'BadRequest.EmptyInput': [400, { code: 'BadRequest.EmptyInput', message: 'Required input parameter missing from request.', request_id: 'r-7' }],
  Arrearage: [400, { code: 'Arrearage', message: 'Access denied, please make sure your account is in good standing.', request_id: 'r-8' }],
  AccessDenied: [403, { code: 'AccessDenied', message: 'current user api does not support synchronous calls', request_id: 'r-9' }],
  'Workspace.AccessDenied': [403, { code: 'Workspace.AccessDenied', message: 'Workspace access denied.', request_id: 'r-10' }],
  'Endpoint.AccessDenied': [403, { code: 'Endpoint.AccessDenied', message: 'Endpoint access denied.', request_id: 'r-11' }],
  'AllocationQuota.FreeTierOnly': [403, { code: 'AllocationQuota.FreeTierOnly', message: 'The free tier of the model has been exhausted.', request_id: 'r-12' }],
  ModelNotFound: [404, { code: 'ModelNotFound', message: 'Model not found.', request_id: 'r-13' }],
  Throttling: [429, { code: 'Throttling', message: 'Requests throttling triggered.', request_id: 'r-14' }],
  'Throttling.RateQuota': [429, { code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded, please try again later.', request_id: 'r-15' }],
  'Throttling.AllocationQuota': [429, { code: 'Throttling.AllocationQuota', message: 'Allocated quota exceeded, please increase your quota limit.', request_id: 'r-16' }],
  InternalError: [
    500,
    { code: 'InternalError', message: 'An internal error has occured, please try again later or contact service support.', request_id: 'r-17' },
  ],
} as const satisfies Record<string, readonly [number, { code: string; message: string; request_id: string }]>;

export const taskPending = {
  request_id: 'p-1',
  output: { task_id: 'task-1', task_status: 'PENDING', submit_time: '2026-04-16 10:50:12.718' },
};

export const taskRunning = {
  request_id: 'edbd4e81-d37b-97f1-9857-d7394829dd0f',
  output: {
    task_id: '9e2b6ef6-285d-4efa-8651-4dbda7d571fa',
    task_status: 'RUNNING',
    submit_time: '2024-03-01 17:38:24.817',
    scheduled_time: '2024-03-01 17:38:24.831',
  },
};

const videoUrl = 'https://dashscope-result-sh.oss-accelerate.aliyuncs.com/xxx.mp4?Expires=xxx';

export const taskSucceededT2v = {
  request_id: 'caa62a12-8841-41a6-8af2-xxxxxx',
  output: {
    task_id: 'eff1443c-ccab-4676-aad3-xxxxxx',
    task_status: 'SUCCEEDED',
    submit_time: '2025-09-29 14:18:52.331',
    scheduled_time: '2025-09-29 14:18:59.290',
    end_time: '2025-09-29 14:23:39.407',
    orig_prompt: '<original prompt>',
    video_url: videoUrl,
  },
  usage: { duration: 10, input_video_duration: 0, output_video_duration: 10, video_count: 1, ratio: '16:9', SR: 720 },
};

/** r2v bills input + output seconds in `duration`; the output alone is output_video_duration. */
export const taskSucceededR2v = {
  ...taskSucceededT2v,
  usage: { duration: 15, input_video_duration: 5, output_video_duration: 10, video_count: 1, SR: 720, ratio: '16:9' },
};

export const taskSucceededVideoedit = {
  ...taskSucceededT2v,
  usage: { duration: 10.04, input_video_duration: 5.02, output_video_duration: 5.02, video_count: 1, SR: 720 },
};

/** The same, as a proxy that stringifies numbers sends it. */
export const taskSucceededUsageStrings = {
  ...taskSucceededT2v,
  usage: { duration: '10.04', input_video_duration: '5.02', output_video_duration: '5.02', video_count: '1', SR: '720' },
};

/** wan2.5 and older: no output_video_duration. */
export const taskSucceededLegacy = {
  ...taskSucceededT2v,
  usage: { video_duration: 5, video_ratio: '832*480', video_count: 1 },
};

export const taskFailed = {
  request_id: 'e5d70b02-ebd3-98ce-9fe8-759d7d7b107d',
  output: {
    task_id: '86ecf553-d340-4e21-af6e-a0c6a421c010',
    task_status: 'FAILED',
    code: 'InvalidParameter',
    message: 'The size is not match xxxxxx',
  },
};

/** modelstudioai/cli#184: FAILED seconds after submit with no code or message at all. */
export const taskFailedWithoutCode = {
  request_id: 'f-2',
  output: { task_id: 'task-2', task_status: 'FAILED', submit_time: '2026-04-16 10:50:12.718', end_time: '2026-04-16 10:50:15.001' },
};

export const taskCanceled = {
  request_id: 'c-1',
  output: { task_id: 'task-3', task_status: 'CANCELED', submit_time: '2026-04-16 10:50:12.718', end_time: '2026-04-16 10:50:20.000' },
};

export const taskUnknown = {
  request_id: '85c25460-6440-91a7-b14e-2978fe60bd0f',
  output: { task_id: '1111', task_status: 'UNKNOWN' },
};

export const taskSuspended = {
  request_id: 's-1',
  output: { task_id: 'task-4', task_status: 'SUSPENDED' },
};

export const cancelRejected = {
  request_id: '4d496c94-1389-9ca9-a92a-3e732f675686',
  code: 'UnsupportedOperation',
  message: 'Failed to cancel the task, please confirm if the task is in PENDING status.',
};

export const cancelAccepted = { request_id: 'cancel-ok-1' };

export const nginx502 = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
