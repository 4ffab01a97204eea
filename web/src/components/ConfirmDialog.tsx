import { Modal } from './Modal';

export interface ConfirmRequest {
  title: string;
  message: string;
  confirm: string;
  danger?: boolean;
  onConfirm: () => void;
}

export function ConfirmDialog({ req, onClose }: { req: ConfirmRequest; onClose: () => void }) {
  return (
    <Modal title={req.title} onClose={onClose} testId="confirm-dialog">
      <div className="dialog-body">
        <p>{req.message}</p>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className={req.danger ? 'danger-button' : 'primary'}
            data-testid="confirm-ok"
            onClick={() => {
              onClose();
              req.onConfirm();
            }}
          >
            {req.confirm}
          </button>
        </div>
      </div>
    </Modal>
  );
}
