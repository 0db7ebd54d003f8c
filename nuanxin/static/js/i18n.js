// Chinese first, English on a toggle. Static text uses data-i18n="key"; code calls t('key').
const STRINGS = {
  app_title: ['暖新', 'nuanxin'],
  lang_toggle: ['English', '中文'],
  sign_in: ['登录', 'Sign in'],
  sign_out: ['退出', 'Sign out'],
  token_label: ['工作人员令牌', 'Staff token'],
  worker_token_label: ['骑手令牌', 'Worker token'],
  token_hint: ['粘贴令牌（uv run nuanxin token --role community_staff --sub 你的编号 --community 社区代码）',
    'Paste a token (uv run nuanxin token --role community_staff --sub you --community CODE)'],
  token_missing: ['请先粘贴令牌', 'Paste a token first'],
  dashboard_title: ['社区案件看板', 'Community case dashboard'],
  worker_title: ['骑手随手报', 'Rider reports'],
  ops_title: ['运维', 'Operations'],
  tab_cases: ['案件', 'Cases'],
  tab_map: ['地图', 'Map'],
  tab_stats: ['统计', 'Statistics'],
  tab_todo: ['待办', 'To do'],
  nothing_todo: ['暂无待办：没有待审核的微心愿或志愿者', 'Nothing to do: no wish or volunteer awaits a decision'],
  todo_wishes: ['微心愿待审核', 'Wishes awaiting review'],
  todo_volunteers: ['志愿者待确认', 'Volunteers awaiting confirmation'],
  approve: ['通过', 'Approve'],
  reject: ['驳回', 'Reject'],
  confirm_roles: ['确认角色', 'Confirm roles'],
  decline_roles: ['不通过', 'Decline'],
  reason_placeholder: ['理由（驳回或不通过时必填，对方可见）', 'Reason (needed to reject or decline; they will read it)'],
  reason_needed: ['请先填写理由', 'Give a reason first'],
  shares: ['份', 'shares'],
  role_policy_promoter: ['政策法规宣传员', 'policy promoter'],
  role_hazard_inspector: ['安全隐患排查员', 'safety-hazard inspector'],
  role_civility_persuader: ['文明城市劝导员', 'civility persuader'],
  role_elderly_carer: ['独居老人关爱员', 'carer of elderly people'],
  role_voices_collector: ['民情民意收集员', "collector of residents' voices"],
  role_food_safety_supervisor: ['食品安全监督员', 'food-safety supervisor'],
  live: ['实时', 'live'],
  connecting: ['连接中…', 'connecting…'],
  reconnecting: ['重连中…', 'reconnecting…'],
  no_cases: ['暂无待办案件', 'No open cases'],
  col_case: ['案件', 'Case'],
  col_where: ['社区', 'Community'],
  col_status: ['状态', 'Status'],
  col_ack: ['受理时限', 'Acknowledge by'],
  col_resolve: ['办结时限', 'Resolve by'],
  col_escalation: ['升级', 'Escalation'],
  triage: ['区级分拨', 'district triage'],
  paused: ['已暂停（待补充信息）', 'paused (waiting for info)'],
  done: ['已完成', 'done'],
  overdue_by: ['已超时', 'overdue'],
  escalated_level: ['已升级 L', 'escalated L'],
  cluster: ['人同报', 'reports'],
  detail: ['案件详情', 'Case detail'],
  close: ['关闭', 'Close'],
  history: ['处理记录', 'History'],
  photos: ['照片', 'Photos'],
  no_photos: ['无照片', 'No photos'],
  reports: ['上报', 'Reports'],
  actions: ['操作', 'Actions'],
  no_actions: ['当前无可用操作', 'No actions available now'],
  note: ['说明', 'Note'],
  reason: ['原因', 'Reason'],
  community_code: ['社区代码', 'Community code'],
  photo_optional: ['照片（可选）', 'Photo (optional)'],
  submit: ['提交', 'Submit'],
  cancel: ['取消', 'Cancel'],
  done_ok: ['已完成', 'Done'],
  opened: ['上报时间', 'Opened'],
  severity: ['紧急程度', 'Severity'],
  reporter: ['上报人', 'Reporter'],
  hidden: ['（已隐藏）', '(hidden)'],
  synthetic: ['合成边界 / synthetic boundaries', '合成边界 / synthetic boundaries'],
  map_reset: ['复位', 'Reset'],
  legend_breached: ['已超时', 'breached'],
  legend_soon: ['30分钟内到期', 'due within 30 min'],
  legend_ok: ['正常', 'on track'],
  legend_paused: ['暂停', 'paused'],
  stats_title: ['履约一览', 'Compliance at a glance'],
  stats_days: ['最近 30 天', 'Last 30 days'],
  stat_ack: ['按时受理率', 'Acknowledged on time'],
  stat_resolve: ['按时办结率', 'Resolved on time'],
  stat_reopen: ['重开率', 'Reopen rate'],
  stat_open: ['在办', 'Open'],
  stat_overdue: ['超时', 'Overdue'],
  stat_total: ['案件数', 'Cases'],
  by_street: ['按街道', 'By street'],
  by_community: ['按社区', 'By community'],
  chart_title: ['每日上报 / 办结 / 超时', 'Daily opened / resolved / breached'],
  s_opened: ['上报', 'opened'],
  s_resolved: ['办结', 'resolved'],
  s_breached: ['超时', 'breached'],
  all_streets: ['全部街道', 'all streets'],
  // statuses
  st_new: ['待受理', 'new'],
  st_acknowledged: ['已受理', 'acknowledged'],
  st_in_progress: ['处理中', 'in progress'],
  st_waiting_for_info: ['待补充信息', 'waiting for info'],
  st_resolved: ['已办结', 'resolved'],
  st_closed: ['已关闭', 'closed'],
  st_returned: ['已退回', 'returned'],
  st_received: ['已收到', 'received'],
  st_routed: ['已派送社区', 'sent to the community'],
  st_logged: ['已记录', 'logged'],
  st_rejected: ['未受理', 'not accepted'],
  // actions
  act_open: ['立案', 'opened'],
  act_acknowledge: ['受理', 'Acknowledge'],
  act_start: ['开始处理', 'Start'],
  act_request_info: ['请补充信息', 'Request info'],
  act_provide_info: ['补充信息', 'Provide info'],
  act_resolve: ['办结', 'Resolve'],
  act_close: ['关闭', 'Close'],
  act_reopen: ['重开', 'Reopen'],
  act_return_not_ours: ['非本社区，退回', 'Not ours: return'],
  act_reassign: ['改派', 'Reassign'],
  act_dismiss: ['驳回（不属实）', 'Dismiss'],
  // severities
  sev_low: ['一般', 'low'], sev_medium: ['较急', 'medium'], sev_high: ['紧急', 'high'], sev_urgent: ['特急', 'urgent'],
  // worker page
  step_kind: ['① 选类别', '① What is it?'],
  step_photo: ['② 拍照', '② Photo'],
  step_where: ['③ 位置', '③ Where?'],
  take_photo: ['拍照 / 选择照片', 'Take or pick a photo'],
  photo_uploading: ['照片上传中…', 'Uploading photo…'],
  photo_ok: ['照片已上传', 'Photo uploaded'],
  use_gps: ['用我的位置', 'Use my location'],
  or_tap_map: ['或在地图上点一下', 'or tap the map'],
  location_set: ['位置已选', 'Location set'],
  locating: ['定位中…', 'Locating…'],
  gps_failed: ['无法定位，请在地图上点选位置', 'Could not locate you: tap the map instead'],
  description: ['描述（可选）', 'Description (optional)'],
  send_report: ['一键上报', 'Send report'],
  sending: ['发送中…', 'Sending…'],
  report_sent: ['已上报，谢谢！社区会尽快处理。', 'Sent, thank you! The community will act on it.'],
  need_location: ['请先选位置', 'Choose a location first'],
  need_kind: ['请先选类别', 'Choose what it is first'],
  my_reports: ['我的上报', 'My reports'],
  no_reports: ['还没有上报', 'No reports yet'],
  refresh: ['刷新', 'Refresh'],
  messages: ['新消息', 'New messages'],
  no_messages: ['没有新消息', 'No new messages'],
  got_it: ['知道了', 'Got it'],
  nearest_station: ['最近的暖新驿站', 'Nearest warm station'],
  find_station: ['找驿站', 'Find a station'],
  station_unavailable: ['驿站查询暂不可用', 'Station finder is not available yet'],
  no_station: ['附近暂无驿站', 'No station nearby'],
  minutes_ride: ['分钟骑行', 'min by bike'],
  open_now: ['营业中', 'open now'],
  closed_now: ['已休息', 'closed now'],
  wishes: ['微心愿', 'Micro-wishes'],
  wish_title: ['我的心愿', 'My wish'],
  wish_category: ['类别', 'Category'],
  post_wish: ['发布心愿', 'Post wish'],
  wishes_unavailable: ['微心愿暂不可用', 'Micro-wishes are not available yet'],
  no_wishes: ['还没有心愿', 'No wishes yet'],
  wish_posted: ['心愿已提交，等待社区审核', 'Wish sent; the community will review it'],
  wc_clothing: ['衣物', 'clothing'], wc_repair: ['维修', 'repair'], wc_legal_help: ['法律咨询', 'legal help'],
  wc_schooling: ['子女入学', 'schooling'], wc_health: ['健康', 'health'],
  wc_daily_needs: ['生活用品', 'daily needs'], wc_other: ['其他', 'other'],
  // ops
  trace: ['上报链路追踪', 'Report trace'],
  report_id: ['上报编号', 'Report id'],
  show_trace: ['查看', 'Show'],
  consumer_lag: ['消费延迟', 'Consumer lag'],
  dead_letters: ['死信', 'Dead letters'],
  outbox_backlog: ['发件箱积压', 'Outbox backlog'],
  health: ['健康状态', 'Health'],
  service: ['服务', 'Service'],
  value: ['数值', 'Value'],
  nothing: ['无', 'none'],
  home_dashboard: ['社区看板（工作人员）', 'Community dashboard (staff)'],
  home_worker: ['骑手页面（手机）', "Worker's page (phone)"],
  home_ops: ['运维', 'Operations'],
  home_api: ['API 文档', 'API docs'],
  home_tagline: ['骑手、快递员、司机随手报，社区按时办', 'Reports from riders reach the owning community, on a clock'],
};

let lang = localStorage.getItem('nuanxin.lang') === 'en' ? 'en' : 'zh';
const listeners = [];

export function t(key) {
  const entry = STRINGS[key];
  if (!entry) return key;
  return lang === 'en' ? entry[1] : entry[0];
}

// A label for a code from a family (st_, act_, sev_, wc_), falling back to the code itself.
export function label(prefix, code) {
  return STRINGS[prefix + code] ? t(prefix + code) : code;
}

export function currentLang() { return lang; }

export function applyI18n(root = document) {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
}

export function onLangChange(fn) { listeners.push(fn); }

export function toggleLang() {
  lang = lang === 'en' ? 'zh' : 'en';
  localStorage.setItem('nuanxin.lang', lang);
  applyI18n();
  for (const fn of listeners) fn(lang);
}

export function bindToggle(button) {
  button.addEventListener('click', toggleLang);
  applyI18n();
}
